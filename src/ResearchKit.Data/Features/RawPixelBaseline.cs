using ResearchKit.Metrics;
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

    /// <summary>
    /// The raw-pixel retrieval baseline of a split: Recall@k, P@1, R-Precision and MAP@R of <see cref="Embeddings"/>
    /// with the split as both queries and references (each query excluded from its own neighbours), the protocol of
    /// the learned results it is shown beside.
    /// </summary>
    /// <param name="split">The split (usually the test split of held-out classes).</param>
    /// <param name="size">Side the images are brought to.</param>
    /// <param name="grayscale">Use one grey channel.</param>
    /// <param name="options">Metric options (Recall@k list; default 1, 2, 4, 8).</param>
    /// <param name="device">Device for the embeddings and the kNN search.</param>
    public static RetrievalResult Evaluate(DataSplit split, int size, bool grayscale = true, RetrievalOptions? options = null,
        Device? device = null)
    {
        using var scope = NewDisposeScope();
        var x = Embeddings(split, size, grayscale, device);
        return RetrievalEvaluator.Evaluate(x, split.Labels(x.device), options, x.device);
    }

    /// <summary>
    /// The baseline of a registered data set's test split, at the registry's baseline size and colour mode.
    /// MAP@R needs each query's top-R list, R = class size − 1: for Fashion-MNIST's 7,000-image classes that is
    /// 35,000 × 6,999 neighbours, so splits larger than <paramref name="maxImages"/> are evaluated on every k-th image
    /// (deterministic, class proportions kept); the result's <c>QueryCount</c> says how many were used.
    /// </summary>
    public static RetrievalResult Evaluate(ZeroShotDataset dataset, DatasetInfo info, RetrievalOptions? options = null,
        Device? device = null, int maxImages = 10_000)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(info);
        if (maxImages < 2) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "expected at least 2 images");
        var split = dataset.Test;
        if (split.Count > maxImages)
        {
            int step = (split.Count + maxImages - 1) / maxImages;
            split = DataSplit.FromOriginalLabels(split.Name + $"-every-{step}",
                split.Samples.Where((_, i) => i % step == 0).Select(s => (s.Source, s.OriginalLabel)));
        }
        return Evaluate(split, info.BaselineSize, info.Grayscale, options, device);
    }
}
