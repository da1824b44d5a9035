using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>A regulariser on the raw proxies ((C·K) x D, class-major), added as Weight · value.</summary>
public interface IProxyRegularizer
{
    /// <summary>The weight of the term in the objective (0 = reported only).</summary>
    double Weight { get; }

    /// <summary>The unweighted value, or null when it is not defined (e.g. K = 1).</summary>
    Tensor? Compute(Tensor proxies, int proxiesPerClass);
}

/// <summary>
/// SoftTriple's centre regulariser with the official code's normalisation (losses.md §3.1):
/// R = Σ_c Σ_{t&lt;s} sqrt(2 + 1e-5 − 2 ŵ_ct · ŵ_cs) / (C·K·(K−1)); defined only for K &gt; 1.
/// </summary>
public sealed class SoftTripleRegularizer : IProxyRegularizer
{
    /// <summary>Creates it with weight τ (default 0.2).</summary>
    public SoftTripleRegularizer(double tau = 0.2) => Weight = Guard.NonNegative(tau, nameof(tau));

    /// <summary>τ.</summary>
    public double Weight { get; }

    /// <inheritdoc/>
    public Tensor? Compute(Tensor proxies, int proxiesPerClass)
    {
        ArgumentNullException.ThrowIfNull(proxies);
        Guard.AtLeastOne(proxiesPerClass, nameof(proxiesPerClass));
        Similarity.ProxySimilarity.CheckProxyShape(proxies, proxiesPerClass, nameof(proxies));
        long k = proxiesPerClass;
        if (k == 1) return null;
        long c = proxies.shape[0] / k;
        var w = TensorMath.Normalize(proxies).view(c, k, -1);
        var gram = w.bmm(w.transpose(1, 2));
        var upper = ones(new[] { k, k }, ScalarType.Bool, proxies.device).triu(1);
        var distances = (2.0 + 1e-5 - 2 * gram.masked_select(upper.unsqueeze(0).expand(c, k, k))).sqrt();
        return distances.sum() / (c * k * (k - 1));
    }
}
