using ResearchKit.Metrics;

namespace ResearchKit.Training.Runs;

/// <summary>
/// The table of the metrics a run records: the trainer's own (training loss, learning rate, proxy–center deviation) and the
/// retrieval metrics (<see cref="RetrievalMetrics"/>). Every writer of metric rows and every reader that labels, scales or
/// ranks a metric (tables, reports, charts, notebook cells) takes its definition from here.
/// </summary>
public static class RunMetrics
{
    /// <summary>The mean training loss of an epoch.</summary>
    public static MetricDefinition Loss { get; } = new("loss", "loss", Scale: 1, HigherIsBetter: false, Decimals: 4);
    /// <summary>The backbone learning rate at the end of an epoch (no better direction; ranked as lower is better).</summary>
    public static MetricDefinition LearningRate { get; } = new("lr", "lr", Scale: 1, HigherIsBetter: false, Decimals: 6);
    /// <summary>The proxy–center deviation (Eq. 10, primary form) on the training set.</summary>
    public static MetricDefinition Deviation { get; } = new("deviation", "deviation", Scale: 1, HigherIsBetter: false, Decimals: 4);
    /// <summary>The pairwise form of the deviation.</summary>
    public static MetricDefinition DeviationPairwise { get; } = new("deviation_pairwise", "deviation (pairwise)", Scale: 1, HigherIsBetter: false, Decimals: 4);

    /// <summary>The trainer's own metrics (the retrieval metrics are <see cref="RetrievalMetrics"/>).</summary>
    public static IReadOnlyList<MetricDefinition> Trainer { get; } = [Loss, LearningRate, Deviation, DeviationPairwise];

    /// <summary>The metric stored under <paramref name="key"/>: a trainer or retrieval metric, or null for any other key
    /// (the confidence module's diagnostics, a key written by another version).</summary>
    public static MetricDefinition? Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Trainer.FirstOrDefault(m => m.Key == key) ?? RetrievalMetrics.Find(key);
    }

    /// <summary>The metric stored under <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">No metric has that key; the message lists the trainer's and the retrieval keys.</exception>
    public static MetricDefinition Get(string key) => Find(key) ?? throw new ArgumentException(
        $"unknown metric '{key}'; expected one of {string.Join(", ", Trainer.Select(m => m.Key))}, recall_at_<k>, " +
        $"{string.Join(", ", new[] { RetrievalMetrics.PrecisionAt1, RetrievalMetrics.RPrecision, RetrievalMetrics.MapAtR, RetrievalMetrics.Nmi }.Select(m => m.Key))}.", nameof(key));
}
