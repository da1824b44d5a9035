using static TorchSharp.torch;

namespace ResearchKit.Data;

/// <summary>
/// The no-learning baseline every data set reports (spec/data.md §2.4): each image's raw pixels, resized and
/// centre-cropped to size×size, flattened, mean-centred over the split and L2-normalised, so that a dot product
/// is the cosine similarity. Feed the result to the retrieval metrics (Recall@1, MAP@R).
/// </summary>
public static class RawPixelBaseline
{
    /// <summary>Raw-pixel embeddings [N, C·size·size] float32, rows in the split's sample order.</summary>
    /// <param name="split">The split (usually the test split).</param>
    /// <param name="size">Side the images are brought to (e.g. 32 for glyphs, 28 for Fashion-MNIST).</param>
    /// <param name="grayscale">Use one grey channel.</param>
    /// <param name="device">Device of the result.</param>
    public static Tensor Embeddings(DataSplit split, int size, bool grayscale = true, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        using var scope = NewDisposeScope();
        var loader = new DataLoader(split, new SequentialBatchSampler(split.Count, 1024), ImagePipeline.RawPixels(size, grayscale),
            new DataLoaderOptions { Device = device });
        var parts = new List<Tensor>();
        foreach (var b in loader.EpochBatches())
            using (b) parts.Add(b.Images.flatten(1).clone());
        var x = cat(parts, 0);
        x = x.sub(x.mean([0], keepdim: true));
        return nn.functional.normalize(x, p: 2, dim: 1).MoveToOuterDisposeScope();
    }
}
