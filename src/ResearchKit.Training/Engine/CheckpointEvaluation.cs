using ResearchKit.Data;
using ResearchKit.Metrics;

namespace ResearchKit.Training.Engine;

/// <summary>The retrieval metrics of a saved checkpoint on its run's held-out classes (<c>researchkit eval</c>).</summary>
public static class CheckpointEvaluation
{
    /// <summary>Rebuilds the run's network at the checkpoint (<see cref="TrainedRun.Load"/>) and evaluates the test split.</summary>
    /// <param name="checkpointPath">A checkpoint file, <c>&lt;run&gt;/checkpoints/epoch-NNNN.ckpt</c>.</param>
    /// <param name="computeNmi">Also compute NMI.</param>
    /// <param name="dataset">An already loaded data set for the run's config (optional; loaded from the registry otherwise).</param>
    /// <param name="featureCacheDirectory">For runs on cached activations: where the cache is (the run folder when null;
    /// extracted there when missing).</param>
    /// <param name="dataRoot">Data root for the registry (null = the default).</param>
    /// <exception cref="FileNotFoundException">The checkpoint or its run's config is missing.</exception>
    public static CheckpointMetrics Evaluate(string checkpointPath, bool computeNmi = false, ZeroShotDataset? dataset = null,
        string? featureCacheDirectory = null, string? dataRoot = null)
    {
        using var run = TrainedRun.Load(checkpointPath, withLoss: false, dataset, featureCacheDirectory, dataRoot);
        var test = run.Data.Dataset.Test;
        return new CheckpointMetrics(run.Checkpoint, run.Config.Dataset, test.Count, test.ClassCount, run.EvaluateTest(computeNmi));
    }
}

/// <summary>Metrics of one checkpoint.</summary>
/// <param name="Checkpoint">The checkpoint file.</param>
/// <param name="Dataset">The run's data set.</param>
/// <param name="TestImages">Images in the evaluated split.</param>
/// <param name="TestClasses">Classes in the evaluated split.</param>
/// <param name="Result">The retrieval metrics on the split.</param>
public sealed record CheckpointMetrics(string Checkpoint, string Dataset, int TestImages, int TestClasses, RetrievalResult Result);
