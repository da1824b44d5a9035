using System.Collections.Concurrent;
using System.Globalization;

namespace ResearchKit.Metrics;

/// <summary>
/// The definitions of the metrics in a <see cref="RetrievalResult"/> and how each is read from one: the single place that
/// spells their keys (pytorch-metric-learning's names, <c>recall_at_k</c>), labels (R@k, P@1, R-Prec, MAP@R, NMI) and
/// percent scale.
/// </summary>
public static class RetrievalMetrics
{
    private const string RecallPrefix = "recall_at_";
    private static readonly ConcurrentDictionary<int, MetricDefinition> Recalls = new();

    /// <summary>P@1.</summary>
    public static MetricDefinition PrecisionAt1 { get; } = Percent("precision_at_1", "P@1");
    /// <summary>R-Precision.</summary>
    public static MetricDefinition RPrecision { get; } = Percent("r_precision", "R-Prec");
    /// <summary>MAP@R.</summary>
    public static MetricDefinition MapAtR { get; } = Percent("mean_average_precision_at_r", "MAP@R");
    /// <summary>NMI of k-means clusters (stored under PML's upper-case key).</summary>
    public static MetricDefinition Nmi { get; } = Percent("NMI", "NMI");

    /// <summary>Recall@<paramref name="k"/>: key <c>recall_at_k</c>, label <c>R@k</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not positive.</exception>
    public static MetricDefinition RecallAt(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        return Recalls.GetOrAdd(k, n => Percent(RecallPrefix + n.ToString(CultureInfo.InvariantCulture), "R@" + n.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The metrics of <paramref name="result"/> in display order (Recall@k by k, P@1, R-Prec, MAP@R, then NMI when computed) with their values as stored (fractions).</summary>
    public static IReadOnlyList<(MetricDefinition Metric, double Value)> Values(RetrievalResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var values = result.RecallAt.OrderBy(p => p.Key).Select(p => (RecallAt(p.Key), p.Value)).ToList();
        values.Add((PrecisionAt1, result.PrecisionAt1));
        values.Add((RPrecision, result.RPrecision));
        values.Add((MapAtR, result.MapAtR));
        if (result.Nmi is { } nmi) values.Add((Nmi, nmi));
        return values;
    }

    /// <summary>The stored value of <paramref name="metric"/> in <paramref name="result"/>; null when the result lacks it (a k not evaluated, NMI not computed, not a retrieval metric).</summary>
    public static double? Read(RetrievalResult result, MetricDefinition metric)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(metric);
        foreach (var (m, v) in Values(result))
            if (m.Equals(metric)) return v;
        return null;
    }

    /// <summary>The retrieval metric stored under <paramref name="key"/>, or null when the key is none of them.</summary>
    public static MetricDefinition? Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith(RecallPrefix, StringComparison.Ordinal)
            && int.TryParse(key.AsSpan(RecallPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k > 0)
            return RecallAt(k);
        return new[] { PrecisionAt1, RPrecision, MapAtR, Nmi }.FirstOrDefault(m => m.Key == key);
    }

    private static MetricDefinition Percent(string key, string label) => new(key, label, Scale: 100, HigherIsBetter: true, Decimals: 1);
}
