using System.Globalization;

namespace ResearchKit.Metrics;

/// <summary>
/// What a metric is for every place that stores or shows one (metric files, tables, reports, charts, notebooks): the key it
/// is stored under, the short label of columns and axes, the factor from the stored value to the shown one, and the better
/// direction. Two definitions are the same metric when their keys are equal.
/// </summary>
/// <param name="Key">Name in metric files and result columns (pytorch-metric-learning's for retrieval metrics: <c>precision_at_1</c>).</param>
/// <param name="Label">Short label of table columns and chart axes (<c>P@1</c>).</param>
/// <param name="Scale">Shown value = stored value × scale: 100 for fractions shown in percent, 1 for values shown as stored.</param>
/// <param name="HigherIsBetter">Whether a larger value is the better one (false for losses and the proxy–center deviation).</param>
/// <param name="Decimals">Decimals of the shown value in tables (one for percentages).</param>
public sealed record MetricDefinition(string Key, string Label, double Scale, bool HigherIsBetter, int Decimals)
{
    private const string NoValue = "–";

    /// <summary>True when the metric is shown in percent.</summary>
    public bool IsPercent => Scale == 100;

    /// <summary>Column header: the label, with "(%)" for a percentage.</summary>
    public string Header => IsPercent ? $"{Label} (%)" : Label;

    /// <summary>The stored value as shown (e.g. 0.612 → 61.2 for a percentage).</summary>
    public double Shown(double stored) => stored * Scale;

    /// <summary>A shown value with this metric's decimals (invariant culture); "–" for null.</summary>
    public string Format(double? shown) => shown is { } v ? v.ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : NoValue;

    /// <summary>
    /// The table cell of a mean over seeds: <c>mean ± sd</c> of shown values with this metric's decimals, the mean alone
    /// without a spread (one seed), "–" without a mean.
    /// </summary>
    public string FormatMeanSd(double? mean, double? sd) => mean is null ? NoValue : sd is null ? Format(mean) : $"{Format(mean)} ± {Format(sd)}";

    /// <summary>Same metric: equal keys.</summary>
    public bool Equals(MetricDefinition? other) => other is not null && string.Equals(Key, other.Key, StringComparison.Ordinal);

    /// <summary>Hash of the key.</summary>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    /// <summary>The key, so that a definition prints as the name it is stored under.</summary>
    public override string ToString() => Key;
}
