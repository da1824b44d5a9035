using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Normalised mutual information as scikit-learn's <c>normalized_mutual_info_score</c> with the default
/// <c>average_method="arithmetic"</c>: MI / ((H(labels) + H(clusters)) / 2), natural logs. Special cases as sklearn:
/// one class and one cluster → 1; MI = 0 → 0. Ids are arbitrary integers. Computed in float64 on the labels' device.
/// </summary>
public static class NormalizedMutualInformation
{
    /// <summary>float64 machine epsilon, sklearn's floor for the normaliser and for MI terms.</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>NMI of two labellings of the same items.</summary>
    /// <param name="labels">(n) integer ground-truth labels, n ≥ 1.</param>
    /// <param name="clusters">(n) integer cluster ids.</param>
    public static double Compute(Tensor labels, Tensor clusters)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(clusters);
        RetrievalInputGuard.Labels(labels, nameof(labels), labels.dim() == 1 ? labels.shape[0] : -1, nameof(labels));
        if (labels.shape[0] == 0) throw new ArgumentException("expected at least one label, got an empty vector", nameof(labels));
        RetrievalInputGuard.Labels(clusters, nameof(clusters), labels.shape[0], nameof(labels));

        using var scope = torch.NewDisposeScope();
        var (classValues, classIds, _) = torch.unique(labels.to_type(ScalarType.Int64), sorted: true, return_inverse: true);
        var (clusterValues, clusterIds, _) = torch.unique(clusters.to(labels.device).to_type(ScalarType.Int64), sorted: true, return_inverse: true);
        long nClasses = classValues.shape[0], nClusters = clusterValues.shape[0];
        if (nClasses == 1 && nClusters == 1) return 1.0;

        double mi = MutualInformation(classIds!, clusterIds!, nClasses, nClusters);
        if (mi == 0) return 0.0;
        double normalizer = Math.Max((Entropy(classIds!, nClasses) + Entropy(clusterIds!, nClusters)) / 2, MachineEpsilon);
        return mi / normalizer;
    }

    /// <summary>MI in nats from the sparse contingency table, elementwise as sklearn (terms below machine epsilon are 0).</summary>
    internal static double MutualInformation(Tensor classIds, Tensor clusterIds, long nClasses, long nClusters)
    {
        using var scope = torch.NewDisposeScope();
        var joint = torch.bincount(classIds.mul(nClusters).add(clusterIds), minlength: nClasses * nClusters).to_type(ScalarType.Float64);
        var table = joint.view(nClasses, nClusters);
        var rowSums = table.sum(1);
        var columnSums = table.sum(dim: 0);
        var nonzero = joint.nonzero().squeeze(1);
        var count = joint.index_select(0, nonzero);
        var row = nonzero.div(nClusters, rounding_mode: RoundingMode.floor);
        var column = nonzero.remainder(nClusters);
        double total = joint.sum().item<double>();
        var share = count.div(total);
        var outer = rowSums.index_select(0, row).mul(columnSums.index_select(0, column));
        var logOuter = outer.log().neg().add(Math.Log(total) + Math.Log(total));
        var terms = share.mul(count.log().sub(Math.Log(total))).add(share.mul(logOuter));
        terms = terms.masked_fill(terms.abs().lt(MachineEpsilon), 0.0);
        return Math.Max(terms.sum().item<double>(), 0.0);
    }

    /// <summary>Entropy in nats of a labelling given as contiguous ids 0..n-1.</summary>
    internal static double Entropy(Tensor ids, long n)
    {
        if (n == 1) return 0.0;
        using var scope = torch.NewDisposeScope();
        var counts = torch.bincount(ids, minlength: n).to_type(ScalarType.Float64);
        double total = counts.sum().item<double>();
        var p = counts.div(total);
        return -p.mul(counts.log().sub(Math.Log(total))).sum().item<double>();
    }
}
