using ResearchKit.Data;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// A run's eval-pipeline image batches, decoded once and reused by every later pass over the same split: the deviation
/// (Eq. 10) embeds the whole training split every epoch and the evaluation the test split, and on the glyph sets decoding
/// took about a third of each such pass. The eval pipeline draws no random numbers, so a kept batch is the very tensor
/// a fresh decode would give (values, dtype, strides) and the embeddings stay bit-identical. Splits whose batches would
/// push the kept total past the budget are decoded on every pass, as without the cache (CUB at 224 px: 3.5 GB).
/// </summary>
internal sealed class EvalBatchCache : IDisposable
{
    /// <summary>
    /// Default budget for all kept batches of a run: both glyph splits at 32 px take 32 MiB, Fashion-MNIST's 70,000
    /// images 210 MiB; a few such runs side by side stay far from a machine's memory.
    /// </summary>
    public const long DefaultBudgetBytes = 256L << 20;

    private readonly ImagePipeline pipeline;
    private readonly Device device;
    private readonly int workers;
    private readonly long budgetBytes;
    private readonly Dictionary<DataSplit, (int BatchSize, List<Tensor> Batches)> kept = new(ReferenceEqualityComparer.Instance);
    private long keptBytes;

    /// <param name="pipeline">The eval pipeline (deterministic).</param>
    /// <param name="device">Where the batches live.</param>
    /// <param name="workers">Decoding threads.</param>
    /// <param name="budgetBytes">Most bytes kept over all splits (0 keeps nothing).</param>
    public EvalBatchCache(ImagePipeline pipeline, Device device, int workers, long budgetBytes = DefaultBudgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        (this.pipeline, this.device, this.workers, this.budgetBytes) = (pipeline, device, workers, budgetBytes);
    }

    /// <summary>Bytes the batches of <paramref name="split"/> take (float32 pixels at the pipeline's size and channels).</summary>
    public long BytesOf(DataSplit split) => (long)split.Count * pipeline.Channels * pipeline.Size * pipeline.Size * sizeof(float);

    /// <summary>Bytes kept now.</summary>
    public long KeptBytes => keptBytes;

    /// <summary>
    /// The split's batches of <paramref name="batchSize"/>, decoded at the first call and kept; null when they do not fit
    /// the budget (the caller decodes them itself). The batches belong to the cache.
    /// </summary>
    public IReadOnlyList<Tensor>? Batches(DataSplit split, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (kept.TryGetValue(split, out var entry))
        {
            if (entry.BatchSize == batchSize) return entry.Batches;
            Release(split);
        }
        if (keptBytes + BytesOf(split) > budgetBytes) return null;
        var batches = Embedder.DecodeBatches(split, pipeline, batchSize, device, workers);
        kept[split] = (batchSize, batches);
        keptBytes += batches.Sum(b => b.NumberOfElements * b.element_size());
        return batches;
    }

    private void Release(DataSplit split)
    {
        foreach (var b in kept[split].Batches)
        {
            keptBytes -= b.NumberOfElements * b.element_size();
            b.Dispose();
        }
        kept.Remove(split);
    }

    /// <summary>Frees every kept batch.</summary>
    public void Dispose()
    {
        foreach (var split in kept.Keys.ToList()) Release(split);
    }
}
