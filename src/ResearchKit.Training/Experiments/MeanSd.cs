namespace ResearchKit.Training.Experiments;

/// <summary>Mean and sample standard deviation over seeds (format a pair with <see cref="ResearchKit.Metrics.MetricDefinition.FormatMeanSd"/>).</summary>
/// <param name="Mean">The mean of the finite values; null when there are none.</param>
/// <param name="Sd">The sample standard deviation (n − 1); null with fewer than two finite values.</param>
public readonly record struct MeanSd(double? Mean, double? Sd)
{
    /// <summary>Mean and sd of the finite <paramref name="values"/> (a run that did not record the metric gives NaN and is left out).</summary>
    public static MeanSd Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.Where(double.IsFinite).ToList();
        if (v.Count == 0) return new(null, null);
        double mean = v.Average();
        return new(mean, v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : null);
    }
}
