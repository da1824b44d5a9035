using static TorchSharp.torch;

namespace ResearchKit.Data;

/// <summary>
/// Runs a frozen backbone once over a split and keeps the features on disk; later runs load them instead.
/// The backbone is any <c>Tensor → Tensor</c> function (or a TorchSharp module, put in eval mode).
/// </summary>
public static class FeatureCache
{
    /// <summary>Extracts features of every sample, in order, without gradients.</summary>
    /// <param name="split">The split.</param>
    /// <param name="backbone">Maps an image batch [B,C,H,W] to features [B, D] (or [B, D, 1, 1]).</param>
    /// <param name="pipeline">Evaluation pipeline (no random augmentation: the cache holds one view per image).</param>
    /// <param name="key">Identity of backbone + weights + pipeline, stored in the fingerprint.</param>
    /// <param name="batchSize">Batch size.</param>
    /// <param name="options">Loader options (device, workers).</param>
    public static FeatureSet Extract(DataSplit split, Func<Tensor, Tensor> backbone, ImagePipeline pipeline, string key, int batchSize = 64, DataLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(backbone);
        var loader = new DataLoader(split, new SequentialBatchSampler(split.Count, batchSize), pipeline, options);
        var parts = new List<Tensor>();
        try
        {
            using (no_grad())
                foreach (var b in loader.EpochBatches())
                    using (b)
                    using (var scope = NewDisposeScope())
                        parts.Add(backbone(b.Images).flatten(1).to(ScalarType.Float32).cpu().MoveToOuterDisposeScope());
            using var all = cat(parts, 0);
            return new FeatureSet(split.Name, FeatureSet.FingerprintOf(split, key), all,
                split.Samples.Select(s => (long)s.Label).ToArray(), split.Samples.Select(s => s.OriginalLabel).ToArray(),
                split.Samples.Select(s => s.IsNoisy).ToArray(), split.ClassIds);
        }
        finally { foreach (var p in parts) p.Dispose(); }
    }

    /// <summary>Same, for a TorchSharp module: it is switched to eval mode (frozen BN and dropout) first.</summary>
    public static FeatureSet Extract(DataSplit split, nn.Module<Tensor, Tensor> backbone, ImagePipeline pipeline, string key, int batchSize = 64, DataLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        backbone.eval();
        return Extract(split, backbone.forward, pipeline, key, batchSize, options);
    }

    /// <summary>
    /// Loads the features from <paramref name="path"/> when it holds this split and key, otherwise extracts and
    /// saves them. <paramref name="fromCache"/> says which happened.
    /// </summary>
    public static FeatureSet GetOrCreate(string path, DataSplit split, Func<Tensor, Tensor> backbone, ImagePipeline pipeline, string key,
        out bool fromCache, int batchSize = 64, DataLoaderOptions? options = null)
    {
        var fingerprint = FeatureSet.FingerprintOf(split, key);
        // Parallel workers and shards of one experiment share the cache: one extracts, the others wait here, then load.
        using var fill = WaitForLock(path);
        if (File.Exists(path))
        {
            var cached = FeatureSet.Load(path);
            if (cached.Fingerprint == fingerprint) { fromCache = true; return cached; }
            cached.Dispose();
        }
        var set = Extract(split, backbone, pipeline, key, batchSize, options);
        set.Save(path);
        fromCache = false;
        return set;
    }

    // An exclusive lock on a sibling file (flock under .NET on Unix, share mode on Windows), polled: extraction takes minutes,
    // so a waiter spends nothing noticeable polling. The file stays (deleting it would let two holders in at once).
    private static FileStream WaitForLock(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var lockPath = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.lock");
        while (true)
        {
            try { return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (File.Exists(lockPath)) { Thread.Sleep(200); }
        }
    }
}

/// <summary>Batches of a <see cref="FeatureSet"/> by a sampler, with the same resumable state as <see cref="DataLoader"/>.</summary>
public sealed class FeatureLoader
{
    private readonly FeatureSet _set;
    private readonly IBatchSampler _sampler;
    private readonly Device _device;
    private readonly Tensor _features;
    private readonly Tensor _labels;

    /// <summary>Creates the loader; the features are moved to <paramref name="device"/> once.</summary>
    public FeatureLoader(FeatureSet set, IBatchSampler sampler, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(sampler);
        (_set, _sampler, _device) = (set, sampler, device ?? CPU);
        _features = set.Features.to(_device).DetachFromDisposeScope();
        _labels = set.LabelTensor(_device).DetachFromDisposeScope();
    }

    /// <summary>The next batch to be produced.</summary>
    public SamplerState State { get; private set; }

    /// <summary>Continues from a checkpointed state.</summary>
    public void Restore(SamplerState state) => State = state.Epoch >= 0 && state.Position >= 0 ? state
        : throw new ArgumentException($"state must have Epoch, Position ≥ 0; got {state}.", nameof(state));

    /// <summary>The remaining batches of the current epoch; <see cref="Batch.Images"/> holds features [B, D]. The caller disposes each batch.</summary>
    public IEnumerable<Batch> EpochBatches()
    {
        int epoch = State.Epoch;
        var plan = _sampler.EpochPlan(epoch);
        for (int p = State.Position; p < plan.Count; p++)
        {
            using var idx = tensor(plan[p].Select(i => (long)i).ToArray(), device: _device);
            var batch = new Batch(_features.index_select(0, idx).DetachFromDisposeScope(), _labels.index_select(0, idx).DetachFromDisposeScope(), plan[p], new SamplerState(epoch, p));
            State = p + 1 < plan.Count ? new SamplerState(epoch, p + 1) : new SamplerState(epoch + 1, 0);
            yield return batch;
        }
        if (State.Epoch == epoch) State = new SamplerState(epoch + 1, 0);
    }
}
