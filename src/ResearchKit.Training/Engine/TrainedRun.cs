using ResearchKit.Data;
using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Similarity;
using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using ResearchKit.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// A run's trained network (and, on request, its objective with the proxies) rebuilt from the run's config and one of its
/// checkpoints: the one place that turns a run folder back into modules, for <c>researchkit eval</c>, the notebooks' cells
/// and anything else that reads a trained run. Runs on cached frozen-front activations get their cached inputs back
/// (extracted again into the cache folder when missing), so their network is evaluated as it was trained.
/// </summary>
public sealed class TrainedRun : IDisposable
{
    private TrainedRun(string checkpoint, TrainingConfig config, TrainingData data, RunInputs inputs, ProxyObjectiveModule? loss, Device device)
    {
        (Checkpoint, Config, Data, Inputs, this.loss, Device) = (checkpoint, config, data, inputs, loss, device);
    }

    private readonly ProxyObjectiveModule? loss;

    /// <summary>The checkpoint file loaded.</summary>
    public string Checkpoint { get; }
    /// <summary>The run's stored config.</summary>
    public TrainingConfig Config { get; }
    /// <summary>The run's data set, training split (with its label noise) and pipelines.</summary>
    public TrainingData Data { get; }
    /// <summary>What the network runs on: image batches, or the cached activations of the frozen front.</summary>
    public RunInputs Inputs { get; }
    /// <summary>The device the modules are on.</summary>
    public Device Device { get; }

    /// <summary>The trained network, in eval mode (<see cref="RunInputs.Network"/>).</summary>
    public EmbeddingNetwork Network => Inputs.Network;

    /// <summary>The trained proxies of the run's training classes.</summary>
    /// <exception cref="InvalidOperationException">Loaded without the objective (<c>withLoss: false</c>).</exception>
    public ProxySimilarity Proxies => loss?.Head
        ?? throw new InvalidOperationException($"{Checkpoint} was loaded without its objective; load it with withLoss: true to read the proxies.");

    /// <summary>
    /// Rebuilds the run that wrote <paramref name="checkpointPath"/> (<c>&lt;run&gt;/checkpoints/&lt;file&gt;</c>) from its
    /// config and loads the checkpoint's model section, and its loss section with <paramref name="withLoss"/>. The
    /// checkpoint must have been written by that config (<see cref="ConfigFingerprint"/>). The run folder's lock is not
    /// taken, so a run still training can be read.
    /// </summary>
    /// <param name="checkpointPath">A checkpoint file of a run folder.</param>
    /// <param name="withLoss">Also rebuild the objective and load its proxies (and queues).</param>
    /// <param name="dataset">The run's data set already loaded (optional; loaded through the registry otherwise).</param>
    /// <param name="featureCacheDirectory">For runs on cached activations: where the cache is (the run folder when null).</param>
    /// <param name="dataRoot">Data root for the registry (null = the default).</param>
    /// <exception cref="FileNotFoundException">The checkpoint or its run's config is missing.</exception>
    /// <exception cref="CheckpointMismatchException">The checkpoint was written by another config.</exception>
    public static TrainedRun Load(string checkpointPath, bool withLoss = false, ZeroShotDataset? dataset = null,
        string? featureCacheDirectory = null, string? dataRoot = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        var path = Path.GetFullPath(checkpointPath);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        var runDir = Path.GetDirectoryName(Path.GetDirectoryName(path))
            ?? throw new ArgumentException($"expected <run>/{RunLayout.Checkpoints}/<file> but got {path}", nameof(checkpointPath));
        var config = RunDirectory.ReadConfig(runDir);
        var device = DeviceCheck.Resolve(config.Device);
        var data = TrainingData.For(config, dataset, dataRoot);
        int workers = config.Workers > 0 ? config.Workers : Environment.ProcessorCount;
        var inputs = RunInputs.Create(config, data, device, workers, featureCacheDirectory ?? runDir, pretrainedBackbone: false);
        try
        {
            var modules = new Dictionary<string, nn.Module> { ["model"] = inputs.Network };
            var loss = withLoss ? LossFactory.Create(config.Loss, data.Train.ClassCount, config.EmbeddingSize) : null;
            if (loss is not null) modules["loss"] = loss;
            foreach (var m in modules.Values) m.to(device);
            var restored = CheckpointStore.Load(path, new CheckpointTargets
            {
                Modules = modules, RestoreTorchRng = false, Config = config, ConfigSource = Path.Combine(runDir, RunLayout.Config),
            });
            foreach (var t in restored.Extra.Values) t.Dispose();
            inputs.Network.eval();
            return new TrainedRun(path, config, data, inputs, loss, device);
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    /// <summary>The run in <paramref name="runDir"/> at its newest checkpoint (<see cref="Load"/>).</summary>
    /// <exception cref="ArgumentException">The run holds no checkpoint.</exception>
    public static TrainedRun LoadLatest(string runDir, bool withLoss = false, ZeroShotDataset? dataset = null,
        string? featureCacheDirectory = null, string? dataRoot = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        var checkpoint = new CheckpointStore(Path.Combine(Path.GetFullPath(runDir), RunLayout.Checkpoints)).List().FirstOrDefault()
            ?? throw new ArgumentException($"'{runDir}' holds no checkpoint", nameof(runDir));
        return Load(checkpoint, withLoss, dataset, featureCacheDirectory, dataRoot);
    }

    /// <summary>Retrieval metrics on the run's held-out classes (query = reference, self excluded), as training evaluates them.</summary>
    public RetrievalResult EvaluateTest(bool computeNmi = false) =>
        Trainer.Evaluate(Inputs, Data.Dataset.Test, Math.Max(Config.BatchSize, 256), Device, computeNmi);

    /// <summary>Releases the inputs (cached feature tensors, loader).</summary>
    public void Dispose() => Inputs.Dispose();
}
