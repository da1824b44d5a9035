using ResearchKit.Data;
using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// What a run feeds its trainable network, and that network: image batches through the augmenting pipeline
/// (<see cref="CachedInput.Images"/>), or the cached outputs of a frozen front of a pretrained backbone
/// (<see cref="CachedInput.BackboneFeatures"/>, <see cref="CachedInput.Layer3Activations"/>), extracted once through the
/// evaluation pipeline and shared by every run with the same data, backbone, weights and image size.
/// </summary>
public abstract class RunInputs : IDisposable
{
    private protected RunInputs(EmbeddingNetwork network) => Network = network;

    /// <summary>The trainable network (backbone or its trainable part, plus the embedding head).</summary>
    public EmbeddingNetwork Network { get; }

    /// <summary>Training batches per epoch.</summary>
    public abstract int BatchesPerEpoch { get; }

    /// <summary>The next batch to be produced (checkpointed with the run).</summary>
    public abstract SamplerState State { get; }

    /// <summary>Continues from a checkpointed state.</summary>
    public abstract void Restore(SamplerState state);

    /// <summary>The remaining training batches of the current epoch; the caller disposes each.</summary>
    public abstract IEnumerable<Batch> EpochBatches();

    /// <summary>Embeddings of the training split (<paramref name="test"/> false) or the test split, in sample order, eval mode.</summary>
    public abstract Tensor Embed(bool test, int batchSize);

    /// <summary>
    /// For cached inputs: a function giving the network's pooled backbone output over the training split (what Smooth
    /// Proxy-Anchor's confidence module trains on), before any step. Null for images (the confidence stage caches its own).
    /// </summary>
    public virtual Func<Tensor>? PooledTrainFeatures(int evalBatch) => null;

    /// <summary>The cached rows of the test split (N, D) for cached inputs, null for images: their L2-normalized
    /// retrieval scores are the floor a trained head must beat.</summary>
    public virtual Tensor? CachedTestRows => null;

    /// <inheritdoc/>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The inputs <paramref name="config"/> asks for; builds (and loads) the network.</summary>
    /// <param name="config">The run's config.</param>
    /// <param name="data">The run's data.</param>
    /// <param name="device">Training device.</param>
    /// <param name="workers">Image-decoding workers.</param>
    /// <param name="cacheDirectory">Folder of the feature caches (shared between runs).</param>
    /// <param name="log">Receives one line when features are extracted or loaded.</param>
    /// <param name="pretrainedBackbone">Load <see cref="TrainingConfig.PretrainedWeights"/> into an image backbone; false when a
    /// checkpoint replaces every weight anyway (the frozen front of cached inputs always loads them: it is not in checkpoints).</param>
    public static RunInputs Create(TrainingConfig config, TrainingData data, Device device, int workers, string cacheDirectory, Action<string>? log = null,
        bool pretrainedBackbone = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        var head = new EmbeddingHeadOptions { EmbeddingSize = config.EmbeddingSize, Pooling = config.Pooling };
        if (config.CachedInput == CachedInput.Images)
            return new ImageInputs(BackboneRegistry.Default.CreateEmbeddingNetwork(config.Backbone, head, pretrainedBackbone ? config.PretrainedWeights : null),
                data, config, device, workers);
        return CachedInputs.Create(config, data, head, device, workers, cacheDirectory, log);
    }
}

/// <summary>Image batches through the data set's pipelines (the default).</summary>
internal sealed class ImageInputs : RunInputs
{
    private readonly DataLoader loader;
    private readonly TrainingData data;
    private readonly Device device;
    private readonly int workers;
    private readonly EvalBatchCache evalBatches;

    public ImageInputs(EmbeddingNetwork network, TrainingData data, TrainingConfig config, Device device, int workers) : base(network)
    {
        (this.data, this.device, this.workers) = (data, device, workers);
        loader = new DataLoader(data.Train, new RandomBatchSampler(data.Train.Count, config.BatchSize, config.Seed), data.TrainPipeline,
            new DataLoaderOptions { Device = device, Workers = workers, Seed = config.Seed });
        evalBatches = new EvalBatchCache(data.EvalPipeline, device, workers);
    }

    public override int BatchesPerEpoch => loader.BatchesPerEpoch;
    public override SamplerState State => loader.State;
    public override void Restore(SamplerState state) => loader.Restore(state);
    public override IEnumerable<Batch> EpochBatches() => loader.EpochBatches();

    public override Tensor Embed(bool test, int batchSize)
    {
        var split = test ? data.Dataset.Test : data.Train;
        return evalBatches.Batches(split, batchSize) is { } kept
            ? Embedder.Embed(Network, kept)
            : Embedder.Embed(Network, split, data.EvalPipeline, batchSize, device, workers);
    }

    public override void Dispose()
    {
        evalBatches.Dispose();
        base.Dispose();
    }
}

/// <summary>Cached activations of a frozen pretrained front; only the part after it trains.</summary>
internal sealed class CachedInputs : RunInputs
{
    private readonly FeatureSet train, test;
    private readonly FeatureLoader loader;
    private readonly RandomBatchSampler sampler;
    private readonly Device device;

    private CachedInputs(EmbeddingNetwork network, FeatureSet train, FeatureSet test, TrainingConfig config, Device device) : base(network)
    {
        (this.train, this.test, this.device) = (train, test, device);
        sampler = new RandomBatchSampler(train.Count, config.BatchSize, config.Seed);
        loader = new FeatureLoader(train, sampler, device);
    }

    public static CachedInputs Create(TrainingConfig config, TrainingData data, EmbeddingHeadOptions head, Device device, int workers,
        string cacheDirectory, Action<string>? log)
    {
        // The full pretrained backbone is always built, so the head's initialization draws the same random numbers
        // whether the cache is hit or filled; it only runs on a miss.
        var full = BackboneRegistry.Default.CreateEmbeddingNetwork(config.Backbone, head, config.PretrainedWeights);
        var front = FrozenFront.For(config.CachedInput, full.Backbone);
        var weights = config.PretrainedWeights is { } w && File.Exists(w) ? $"{Path.GetFileName(w)}:{new FileInfo(w).Length}" : "random-init";
        var key = $"{config.CachedInput}|{config.Backbone}|{weights}|{data.EvalPipeline.Size}|{data.EvalPipeline.Grayscale}";
        full.to(device);
        full.Backbone.eval();
        var loaderOptions = new DataLoaderOptions { Device = device, Workers = workers };
        FeatureSet Cached(DataSplit split)
        {
            var path = Path.Combine(cacheDirectory, $"{config.CachedInput}-{FeatureSet.FingerprintOf(split, key)[..16]}.rkfeat");
            var set = FeatureCache.GetOrCreate(path, split, front.Extract, data.EvalPipeline, key, out bool hit, batchSize: 64, loaderOptions);
            log?.Invoke($"{config.CachedInput} of {split.Name} ({set.Count} x {set.Dimension}): {(hit ? "cached" : "extracted to")} {path}");
            return set;
        }
        // Keyed on the clean split: label noise changes labels, not pixels, so every noise rate and seed shares one file.
        using var cleanTrain = Cached(data.Dataset.Train);
        var testSet = Cached(data.Dataset.Test);
        var trainSet = WithLabels(cleanTrain, data.Train);
        var network = new EmbeddingNetwork(front.Trainable, front.TrainableChannels, head);
        return new CachedInputs(network, trainSet, testSet, config, device);
    }

    // The cached features with the (possibly noisy) labels of the run's training split, which lists the same images in order.
    private static FeatureSet WithLabels(FeatureSet clean, DataSplit train)
    {
        if (clean.Count != train.Count)
            throw new InvalidOperationException($"the cached training features hold {clean.Count} samples but the training split {train.Count}.");
        return new FeatureSet(train.Name, clean.Fingerprint, clean.Features, train.Samples.Select(s => (long)s.Label).ToArray(),
            train.Samples.Select(s => s.OriginalLabel).ToArray(), train.Samples.Select(s => s.IsNoisy).ToArray(), train.ClassIds);
    }

    public override int BatchesPerEpoch => sampler.EpochPlan(State.Epoch).Count;
    public override SamplerState State => loader.State;
    public override void Restore(SamplerState state) => loader.Restore(state);
    public override IEnumerable<Batch> EpochBatches() => loader.EpochBatches();

    public override Tensor? CachedTestRows => test.Features;

    public override Tensor Embed(bool test, int batchSize) => Map(test ? this.test : train, batchSize, Network.forward);

    public override Func<Tensor>? PooledTrainFeatures(int evalBatch) =>
        () => Map(train, evalBatch, rows => Network.Head.Pool(Network.Backbone.forward(rows)));

    // f over the set's rows in batches (eval mode, no gradients, one dispose scope per batch), concatenated in order.
    private Tensor Map(FeatureSet set, int batchSize, Func<Tensor, Tensor> f)
    {
        if (batchSize < 1) throw new ArgumentException($"batchSize must be >= 1; got {batchSize}.", nameof(batchSize));
        Network.eval();
        var parts = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            for (long start = 0; start < set.Count; start += batchSize)
                using (var scope = NewDisposeScope())
                    parts.Add(f(set.Features.narrow(0, start, Math.Min(batchSize, set.Count - start)).to(device)).MoveToOuterDisposeScope());
            return cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    public override void Dispose()
    {
        train.Dispose();
        test.Dispose();
        base.Dispose();
    }
}
