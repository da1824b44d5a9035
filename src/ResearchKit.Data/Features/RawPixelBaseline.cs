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
    /// MAP@R needs each query's top-R list, R = class size − 1, so splits larger than <paramref name="maxImages"/> are
    /// reduced by <see cref="SplitSubsample.Of"/>: whole classes (every k-th class id) where there are many small
    /// classes (SOP: thinning images would leave singletons with nothing to retrieve), every k-th image of each class
    /// where there are few large ones (Fashion-MNIST). The result says what was evaluated.
    /// </summary>
    /// <param name="dataset">The data set.</param>
    /// <param name="info">Its registry entry (baseline size and colour mode).</param>
    /// <param name="options">Metric options (Recall@k list; default 1, 2, 4, 8).</param>
    /// <param name="device">Device for the embeddings and the kNN search.</param>
    /// <param name="maxImages">Image budget of the evaluation.</param>
    public static RawPixelBaselineResult Evaluate(ZeroShotDataset dataset, DatasetInfo info, RetrievalOptions? options = null,
        Device? device = null, int maxImages = 10_000)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(info);
        var evaluated = SplitSubsample.Of(dataset.Test, maxImages);
        return new RawPixelBaselineResult(Evaluate(evaluated.Split, info.BaselineSize, info.Grayscale, options, device), evaluated);
    }
}

/// <summary>A raw-pixel baseline and the part of the split it was taken on.</summary>
/// <param name="Retrieval">The retrieval metrics.</param>
/// <param name="Evaluated">The evaluated split: the whole test split, or a subsample of it (<see cref="SplitSubsample.IsSubsample"/>).</param>
public sealed record RawPixelBaselineResult(RetrievalResult Retrieval, SplitSubsample Evaluated)
{
    /// <summary>Each metric's label and shown value (<see cref="RetrievalMetrics"/>), then what was evaluated.</summary>
    public override string ToString() =>
        string.Join("  ", RetrievalMetrics.Values(Retrieval).Select(v => $"{v.Metric.Label} {v.Metric.Format(v.Metric.Shown(v.Value))}")) + $"  on {Evaluated}";
}
