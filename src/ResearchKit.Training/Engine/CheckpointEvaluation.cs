using ResearchKit.Data;
using ResearchKit.Training.Models;
using ResearchKit.Training.Runs;
using TorchSharp;

namespace ResearchKit.Training.Engine;

/// <summary>The retrieval metrics of a saved checkpoint on its run's held-out classes (<c>researchkit eval</c>).</summary>
public static class CheckpointEvaluation
{
    /// <summary>Rebuilds the network from the run's config, loads the checkpoint's model section and evaluates the test split.</summary>
    /// <param name="checkpointPath">A checkpoint file, <c>&lt;run&gt;/checkpoints/epoch-NNNN.ckpt</c>.</param>
    /// <param name="computeNmi">Also compute NMI.</param>
    /// <param name="dataset">An already loaded data set for the run's config (optional; loaded from the registry otherwise).</param>
    /// <param name="featureCacheDirectory">For runs on cached activations: where the cache is (the run folder when null;
    /// extracted there when missing).</param>
    /// <exception cref="FileNotFoundException">The checkpoint or its run's config is missing.</exception>
    /// <param name="dataRoot">Data root for the registry (null = the default).</param>
    public static CheckpointMetrics Evaluate(string checkpointPath, bool computeNmi = false, ZeroShotDataset? dataset = null,
        string? featureCacheDirectory = null, string? dataRoot = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        var path = Path.GetFullPath(checkpointPath);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        // The run folder is the checkpoint folder's parent; its config rebuilds the network.
        var runDir = Path.GetDirectoryName(Path.GetDirectoryName(path))
            ?? throw new ArgumentException($"expected <run>/checkpoints/<file> but got {path}", nameof(checkpointPath));
        var cfg = RunDirectory.ReadConfig(runDir);   // read only: no lock, so a running training can be evaluated
        if (cfg.CachedInput != Config.CachedInput.Images)
            return EvaluateCached(path, runDir, cfg, computeNmi, dataset, featureCacheDirectory ?? runDir, dataRoot);
        var net = BackboneRegistry.Default.CreateEmbeddingNetwork(cfg.Backbone,
            new EmbeddingHeadOptions { EmbeddingSize = cfg.EmbeddingSize, Pooling = cfg.Pooling });
        var device = DeviceCheck.Resolve(cfg.Device);
        net.to(device);
        CheckpointStore.Load(path, new CheckpointTargets
        {
            Modules = new Dictionary<string, torch.nn.Module> { ["model"] = net }, RestoreTorchRng = false,
            Config = cfg, ConfigSource = Path.Combine(runDir, RunDirectory.ConfigFileName),
        });
        var data = TrainingData.For(cfg, dataset, dataRoot);
        var metrics = Trainer.Evaluate(net, data.Dataset.Test, data.EvalPipeline, Math.Max(cfg.BatchSize, 256), device, cfg.Workers, computeNmi);
        return new CheckpointMetrics(path, cfg.Dataset, data.Dataset.Test.Count, data.Dataset.Test.ClassCount, metrics);
    }

    // The trained part runs on the cached activations of the frozen front, as in training.
    private static CheckpointMetrics EvaluateCached(string path, string runDir, Config.TrainingConfig cfg, bool computeNmi, ZeroShotDataset? dataset,
        string cacheDirectory, string? dataRoot)
    {
        var device = DeviceCheck.Resolve(cfg.Device);
        var data = TrainingData.For(cfg, dataset, dataRoot);
        using var inputs = RunInputs.Create(cfg, data, device, cfg.Workers > 0 ? cfg.Workers : Environment.ProcessorCount, cacheDirectory);
        inputs.Network.to(device);
        CheckpointStore.Load(path, new CheckpointTargets
        {
            Modules = new Dictionary<string, torch.nn.Module> { ["model"] = inputs.Network }, RestoreTorchRng = false,
            Config = cfg, ConfigSource = Path.Combine(runDir, RunDirectory.ConfigFileName),
        });
        var metrics = Trainer.Evaluate(inputs, data.Dataset.Test, Math.Max(cfg.BatchSize, 256), device, computeNmi);
        return new CheckpointMetrics(path, cfg.Dataset, data.Dataset.Test.Count, data.Dataset.Test.ClassCount, metrics);
    }
}

/// <summary>Metrics of one checkpoint.</summary>
/// <param name="Checkpoint">The checkpoint file.</param>
/// <param name="Dataset">The run's data set.</param>
/// <param name="TestImages">Images in the evaluated split.</param>
/// <param name="TestClasses">Classes in the evaluated split.</param>
/// <param name="Metrics">Metric name → value (PML names: recall_at_k, precision_at_1, r_precision, mean_average_precision_at_r, NMI).</param>
public sealed record CheckpointMetrics(string Checkpoint, string Dataset, int TestImages, int TestClasses,
    IReadOnlyDictionary<string, double> Metrics);
