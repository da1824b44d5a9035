using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// CP Eq. 10, the deviation between proxies and the real class embeddings (reconstruction of losses.md §5.11), on
/// L2-normalised embeddings ê and proxies p̂ ((C·K) x D, class-major). Classes without embeddings are skipped and the
/// means run over the included classes.
/// Primary: mean_c || mean_{y_i = c} ê_i − mean_k p̂_ck ||₂. Pairwise: mean_c mean_{i: y_i = c, k} || ê_i − p̂_ck ||₂.
/// </summary>
public static class ProxyCenterDeviation
{
    /// <summary>Rows per chunk of the pairwise distances, bounding the (rows x K x D) temporary.</summary>
    private const long ChunkRows = 4096;

    /// <summary>Computes both forms and the per-class values.</summary>
    /// <param name="embeddings">Raw embeddings (N x D), e.g. the whole training set in eval mode.</param>
    /// <param name="labels">N class indices in [0, C).</param>
    /// <param name="proxies">Raw proxies ((C·K) x D), row c·K + k.</param>
    /// <param name="proxiesPerClass">K ≥ 1.</param>
    public static DeviationResult Compute(Tensor embeddings, Tensor labels, Tensor proxies, int proxiesPerClass = 1)
    {
        ArgumentNullException.ThrowIfNull(proxies);
        Guard.AtLeastOne(proxiesPerClass, nameof(proxiesPerClass));
        Similarity.ProxySimilarity.CheckProxyShape(proxies, proxiesPerClass, nameof(proxies));
        Guard.Finite(proxies, nameof(proxies));
        ArgumentNullException.ThrowIfNull(embeddings);
        Guard.SameDevice(embeddings, proxies, nameof(embeddings), "the proxies");
        Guard.Embeddings(embeddings, nameof(embeddings), proxies.shape[1]);
        Guard.SameDtype(embeddings, proxies, nameof(embeddings), "the proxies");
        long k = proxiesPerClass, c = proxies.shape[0] / k, d = proxies.shape[1];
        ArgumentNullException.ThrowIfNull(labels);
        Guard.SameDevice(labels, proxies, nameof(labels), "the proxies");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var y = Guard.Labels(labels, embeddings.shape[0], c, nameof(labels));
        var e = TensorMath.Normalize(embeddings.detach());
        var p = TensorMath.Normalize(proxies.detach()).view(c, k, d);

        var counts = zeros(c, ScalarType.Int64, e.device).index_add_(0, y, ones_like(y), 1);
        var countsF = counts.to_type(e.dtype);
        var embeddingCenters = zeros(new[] { c, d }, e.dtype, e.device).index_add_(0, y, e, 1) / countsF.clamp_min(1).unsqueeze(1);
        var primaryPerClass = TensorMath.RowNorm(embeddingCenters - p.mean(new long[] { 1 }));

        // Mean over k of ||ê_i − p̂_{y_i,k}|| per sample, by chunks, then averaged per class.
        var perSample = empty(e.shape[0], e.dtype, e.device);
        for (long start = 0; start < e.shape[0]; start += ChunkRows)
        {
            long len = Math.Min(ChunkRows, e.shape[0] - start);
            var rows = e.narrow(0, start, len);
            var own = p.index_select(0, y.narrow(0, start, len));   // (len, K, D)
            perSample.narrow(0, start, len).copy_(TensorMath.RowNorm(own - rows.unsqueeze(1)).mean(new long[] { 1 }));
        }
        var pairwisePerClass = zeros(c, e.dtype, e.device).index_add_(0, y, perSample, 1) / countsF.clamp_min(1);

        var included = counts.gt(0).nonzero().squeeze(1);
        var primary = primaryPerClass.index_select(0, included).to_type(ScalarType.Float64).cpu();
        var pairwise = pairwisePerClass.index_select(0, included).to_type(ScalarType.Float64).cpu();
        return new DeviationResult(
            primary.mean().item<double>(), pairwise.mean().item<double>(),
            included.cpu().data<long>().ToArray(),
            primary.data<double>().ToArray(), pairwise.data<double>().ToArray(),
            counts.cpu().data<long>().ToArray());
    }
}

/// <summary>Eq. 10 deviation values.</summary>
/// <param name="Primary">Mean over included classes of the distance between the embedding centre and the proxy centre.</param>
/// <param name="Pairwise">Mean over included classes of the mean embedding-to-proxy distance.</param>
/// <param name="ClassesIncluded">Classes with at least one embedding, ascending.</param>
/// <param name="PerClassPrimary">Primary per included class.</param>
/// <param name="PerClassPairwise">Pairwise per included class.</param>
/// <param name="ClassCounts">Embeddings per class (C).</param>
public sealed record DeviationResult(
    double Primary, double Pairwise, long[] ClassesIncluded, double[] PerClassPrimary, double[] PerClassPairwise, long[] ClassCounts);
