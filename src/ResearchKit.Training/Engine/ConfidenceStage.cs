using ResearchKit.Data;
using ResearchKit.Training.Config;
using ResearchKit.Training.Confidence;
using ResearchKit.Training.Models;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// Smooth Proxy-Anchor's first phase for a run (losses.md §7): frozen features of the training split → confidence module
/// trained with BCE on the noisy labels → the N x C <see cref="ConfidenceTable"/> the trainer gathers per batch, plus how
/// well it recovers the true labels (<see cref="ConfidenceQuality"/>, logged as metrics).
/// Not checkpointed: it is rebuilt on resume from the same features and seed, so it is the same table.
/// </summary>
public sealed class ConfidenceStage : IDisposable
{
    private ConfidenceStage(ConfidenceTable table, ConfidenceFeatureSource features, ConfidenceTrainingResult training,
        ConfidenceQuality? quality)
    {
        (Table, Features, Training, Quality) = (table, features, training, quality);
    }

    /// <summary>The confidences of every training sample, on the run's device.</summary>
    public ConfidenceTable Table { get; }

    /// <summary>The features the module was trained on (<see cref="ConfidenceFeatureSource.Auto"/> resolved).</summary>
    public ConfidenceFeatureSource Features { get; }

    /// <summary>The trained module and its losses.</summary>
    public ConfidenceTrainingResult Training { get; }

    /// <summary>Recovery of the true labels (null when a true class is missing from the noisy split's classes).</summary>
    public ConfidenceQuality? Quality { get; }

    /// <summary>The metrics to log with every epoch (empty without <see cref="Quality"/>).</summary>
    public IReadOnlyDictionary<string, double> Metrics => Quality is not { } q ? new Dictionary<string, double>() : new Dictionary<string, double>
    {
        [ConfidenceQuality.Names.FlippedTrueIsTop] = q.FlippedTrueIsTop,
        [ConfidenceQuality.Names.FlippedTrueAboveNoisy] = q.FlippedTrueAboveNoisy,
        [ConfidenceQuality.Names.CleanLabelConfidence] = q.CleanLabelConfidence,
    };

    /// <summary>Whether a run with this config trains a confidence module.</summary>
    public static bool IsNeeded(TrainingConfig config) =>
        config.Loss.Entry.NeedsConfidences && config.Loss.ConfidenceModule.Source == ConfidenceSource.Module;

    /// <summary>
    /// <see cref="ConfidenceFeatureSource.Auto"/> → the pretrained backbone when the run has pretrained weights (the paper's
    /// frozen ImageNet network), otherwise raw pixels: a frozen copy of a randomly initialised backbone (the glyph profiles)
    /// would give the module random projections, so raw pixels stand in as the "frozen features" there.
    /// </summary>
    public static ConfidenceFeatureSource Resolve(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var s = config.Loss.ConfidenceModule.Features;
        return s != ConfidenceFeatureSource.Auto ? s
            : config.PretrainedWeights is null ? ConfidenceFeatureSource.RawPixels : ConfidenceFeatureSource.FrozenBackbone;
    }

    /// <summary>
    /// Builds the stage for a run, or returns null when the config needs none. Call it before any training step, while
    /// <paramref name="network"/> still holds its initial (pretrained) weights. <paramref name="backboneFeatures"/>, when
    /// given, supplies the frozen backbone's pooled features of the training split (runs on cached inputs have them already).
    /// </summary>
    public static ConfidenceStage? Build(TrainingConfig config, TrainingData data, EmbeddingNetwork network, Device device,
        int workers, string cacheDirectory, Func<Tensor>? backboneFeatures = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(network);
        if (!IsNeeded(config)) return null;
        var source = Resolve(config);
        Tensor features;
        using (var scope = NewDisposeScope())
            features = (source == ConfidenceFeatureSource.RawPixels
                ? RawPixels(config, data, device)
                : backboneFeatures?.Invoke() ?? FrozenBackbone(config, data, network, device, workers, cacheDirectory)).MoveToOuterDisposeScope();
        using var _ = features;
        using var labels = data.Train.Labels(device);
        var training = ConfidenceTrainer.Train(features, labels, data.Train.ClassCount, config.Loss.ConfidenceModule, config.Seed);
        var table = ConfidenceTable.Compute(training.Module, features);
        var truth = TrueLabels(data.Train);
        ConfidenceQuality? quality = null;
        if (truth is not null)
            using (var truthTensor = tensor(truth, device: device))
                quality = ConfidenceQuality.Measure(table.Values, labels, truthTensor);
        return new ConfidenceStage(table, source, training, quality);
    }

    private static Tensor RawPixels(TrainingConfig config, TrainingData data, Device device)
    {
        var info = DatasetRegistry.Info(config.Dataset);
        return RawPixelBaseline.Embeddings(data.Train, info.BaselineSize, info.Grayscale, device);
    }

    private static Tensor FrozenBackbone(TrainingConfig config, TrainingData data, EmbeddingNetwork network, Device device,
        int workers, string cacheDirectory)
    {
        // Eval mode for the pass (frozen BN statistics); the trainer puts the network back in train mode every epoch.
        network.eval();
        var weights = config.PretrainedWeights is { } w && File.Exists(w)
            ? $"{Path.GetFullPath(w)}:{new FileInfo(w).Length}:{File.GetLastWriteTimeUtc(w).Ticks}" : "random-init";
        var key = $"confidence|{config.Backbone}|{weights}|{config.Pooling}|{data.EvalPipeline.Size}|{data.EvalPipeline.Grayscale}";
        var path = Path.Combine(cacheDirectory, $"confidence-features-{FeatureSet.FingerprintOf(data.Train, key)[..16]}.rkfeat");
        using var set = FeatureCache.GetOrCreate(path, data.Train, x => network.Head.Pool(network.Backbone.forward(x)), data.EvalPipeline,
            key, out _, batchSize: 64, new DataLoaderOptions { Device = device, Workers = workers });
        return set.Features.to(device).clone();   // a copy: the set (and its tensor) is disposed here
    }

    // Contiguous true class per sample; null when a true class left the split (symmetric noise can empty a class).
    private static long[]? TrueLabels(DataSplit split)
    {
        var index = split.ClassIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => (long)p.i);
        var truth = new long[split.Count];
        for (int i = 0; i < truth.Length; i++)
        {
            if (!index.TryGetValue(split.Samples[i].CleanOriginalLabel, out var t)) return null;
            truth[i] = t;
        }
        return truth;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Table.Dispose();
        Training.Module.Dispose();
    }
}
