using ResearchKit.Data;
using ResearchKit.Training.Models;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>Embeds a whole split in eval mode, one dispose scope per batch.</summary>
public static class Embedder
{
    /// <summary>The N x D embeddings of <paramref name="split"/> in sample order (the caller owns the tensor).</summary>
    public static Tensor Embed(EmbeddingNetwork network, DataSplit split, ImagePipeline pipeline, int batchSize, Device device, int workers = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(split);
        if (batchSize < 1) throw new ArgumentException($"batchSize must be >= 1; got {batchSize}.", nameof(batchSize));
        network.eval();
        var loader = new DataLoader(split, new SequentialBatchSampler(split.Count, batchSize), pipeline,
            new DataLoaderOptions { Device = device, Workers = workers > 0 ? workers : Environment.ProcessorCount });
        var parts = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in loader.EpochBatches())
                using (batch)
                using (var scope = NewDisposeScope())
                    parts.Add(network.forward(batch.Images).detach().MoveToOuterDisposeScope());
            return cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}
