using Microsoft.Data.Analysis;
using ResearchKit.Metrics;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Engine;

/// <summary>Where a run's wall time went (this process only), in seconds.</summary>
/// <param name="Data">Waiting for training batches (decode and augmentation not hidden by prefetching).</param>
/// <param name="Forward">Network and loss forward.</param>
/// <param name="Backward">Backward, clipping and the optimizer step.</param>
/// <param name="Evaluation">Embedding the test split and the retrieval metrics.</param>
/// <param name="Deviation">Embedding the training split and the proxy–center deviation.</param>
/// <param name="Checkpoint">Writing metrics and checkpoints.</param>
/// <param name="TrainImages">Training images processed.</param>
public sealed record TrainingTimings(double Data, double Forward, double Backward, double Evaluation, double Deviation, double Checkpoint, long TrainImages)
{
    /// <summary>Training images per second over data + forward + backward time.</summary>
    public double TrainImagesPerSecond => Data + Forward + Backward > 0 ? TrainImages / (Data + Forward + Backward) : 0;

    /// <summary>Sum of the parts.</summary>
    public double Total => Data + Forward + Backward + Evaluation + Deviation + Checkpoint;

    /// <summary>The sum of two timings (for aggregating runs).</summary>
    public static TrainingTimings operator +(TrainingTimings a, TrainingTimings b) => new(a.Data + b.Data, a.Forward + b.Forward,
        a.Backward + b.Backward, a.Evaluation + b.Evaluation, a.Deviation + b.Deviation, a.Checkpoint + b.Checkpoint, a.TrainImages + b.TrainImages);

    /// <summary>No time.</summary>
    public static TrainingTimings Zero { get; } = new(0, 0, 0, 0, 0, 0, 0);
}

/// <summary>The outcome of <see cref="Trainer.Train"/> or <see cref="Trainer.Resume"/>.</summary>
/// <param name="RunDirectory">The run folder (absolute); <see cref="RunLayout"/> names its files.</param>
/// <param name="Completed">False when stopped early (cancellation or step limit); resume it to finish.</param>
/// <param name="EpochsCompleted">Epochs finished (and checkpointed).</param>
/// <param name="Steps">Optimizer steps taken in total.</param>
/// <param name="FinalMetrics">The last epoch's metric row as written to the metric files (keys of <see cref="RunMetrics"/>), with
/// the final evaluation when completed; otherwise the last finished epoch's.</param>
/// <param name="Timings">Where this process's time went.</param>
public sealed record TrainingResult(string RunDirectory, bool Completed, int EpochsCompleted, long Steps,
    IReadOnlyDictionary<string, double> FinalMetrics, TrainingTimings Timings)
{
    /// <summary>The evaluation whose values <see cref="FinalMetrics"/> holds, typed; null when that epoch did not evaluate,
    /// and in results written before the field existed (their values are read from <see cref="FinalMetrics"/>).</summary>
    public RetrievalResult? Retrieval { get; init; }

    /// <summary>The ResearchKit build that produced this result (<see cref="KitBuild.Version"/>); null in results written
    /// before runs recorded it.</summary>
    public string? KitVersion { get; init; }

    /// <summary>
    /// The stored value of <paramref name="metric"/>: from <see cref="Retrieval"/> for a retrieval metric it holds, otherwise
    /// from <see cref="FinalMetrics"/> by the metric's key; null when the run did not record it.
    /// </summary>
    public double? Value(MetricDefinition metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (Retrieval is not null && RetrievalMetrics.Read(Retrieval, metric) is { } typed) return typed;
        return FinalMetrics.TryGetValue(metric.Key, out var v) ? v : null;
    }

    /// <summary>
    /// The result for display (notebooks render it as HTML): one row per quantity — the final metrics (as stored: retrieval
    /// metrics as fractions), then epochs, steps, wall time and training throughput.
    /// </summary>
    public DataFrame ToDataFrame()
    {
        var rows = FinalMetrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, m.Value)).ToList();
        rows.Add(("epochs completed" + (Completed ? "" : " (stopped early)"), EpochsCompleted));
        rows.Add(("steps", Steps));
        rows.Add(("time (s)", Timings.Total));
        rows.Add(("train images/s", Timings.TrainImagesPerSecond));
        return new DataFrame(
            new StringDataFrameColumn("quantity", rows.Select(r => r.Item1)),
            new DoubleDataFrameColumn("value", rows.Select(r => (double?)r.Item2)));
    }
}
