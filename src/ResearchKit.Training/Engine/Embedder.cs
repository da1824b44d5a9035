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
        return EmbedEach(network, DecodedImages(Loader(split, pipeline, batchSize, device, workers)));
    }

    /// <summary>
    /// The embeddings of image batches decoded beforehand (<see cref="DecodeBatches"/>), concatenated in order (the caller
    /// owns the result; the batches are left as they are).
    /// </summary>
    public static Tensor Embed(EmbeddingNetwork network, IReadOnlyList<Tensor> imageBatches)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(imageBatches);
        if (imageBatches.Count == 0) throw new ArgumentException("expected at least one image batch", nameof(imageBatches));
        return EmbedEach(network, imageBatches);
    }

    /// <summary>
    /// The eval-pipeline image batches of <paramref name="split"/> in sample order, each as the loader hands it to the
    /// network (same dtype, device and strides); the caller owns and disposes them.
    /// </summary>
    public static List<Tensor> DecodeBatches(DataSplit split, ImagePipeline pipeline, int batchSize, Device device, int workers = 0)
    {
        var batches = new List<Tensor>();
        try
        {
            foreach (var batch in Loader(split, pipeline, batchSize, device, workers).EpochBatches())
            {
                batch.Labels.Dispose();
                batches.Add(batch.Images);
            }
            return batches;
        }
        catch
        {
            foreach (var b in batches) b.Dispose();
            throw;
        }
    }

    private static DataLoader Loader(DataSplit split, ImagePipeline pipeline, int batchSize, Device device, int workers)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (batchSize < 1) throw new ArgumentException($"batchSize must be >= 1; got {batchSize}.", nameof(batchSize));
        return new DataLoader(split, new SequentialBatchSampler(split.Count, batchSize), pipeline,
            new DataLoaderOptions { Device = device, Workers = workers > 0 ? workers : Environment.ProcessorCount });
    }

    // Each batch's images, the batch disposed once the consumer has moved on (after its forward pass).
    private static IEnumerable<Tensor> DecodedImages(DataLoader loader)
    {
        foreach (var batch in loader.EpochBatches())
            using (batch)
                yield return batch.Images;
    }

    private static Tensor EmbedEach(EmbeddingNetwork network, IEnumerable<Tensor> images)
    {
        network.eval();
        var parts = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in images)
                using (var scope = NewDisposeScope())
                    parts.Add(network.forward(batch).detach().MoveToOuterDisposeScope());
            return cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}
