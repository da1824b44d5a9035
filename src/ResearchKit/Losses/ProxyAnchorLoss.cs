using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>Proxy Anchor hyperparameters (losses.md §1.2): α = 32, δ = 0.1.</summary>
public sealed record ProxyAnchorOptions : LossOptions
{
    /// <summary>α, the scale (&gt; 0).</summary>
    public double Alpha { get; init; } = 32;
    /// <summary>δ, the margin.</summary>
    public double Margin { get; init; } = 0.1;
}

/// <summary>
/// Proxy Anchor (Kim et al. 2020; CP Eq. 1 and, on the composite S, Eq. 7):
/// pos_c = log(1 + Σ_{y_i = c} e^{−α(S_ic − δ)}), neg_c = log(1 + Σ_{y_i ≠ c} e^{α(S_ic + δ)}),
/// L = Σ_c pos_c / |classes present| + Σ_c neg_c / C (losses.md §1.3), by masked logsumexp with an appended 0.
/// Parts: <see cref="LossParts.ProxyPositive"/> + <see cref="LossParts.ProxyNegative"/> = total.
/// </summary>
public sealed class ProxyAnchorLoss : ClassSimilarityLoss
{
    /// <summary>Creates the loss.</summary>
    public ProxyAnchorLoss(ProxyAnchorOptions? options = null)
    {
        Options = options ?? new ProxyAnchorOptions();
        Guard.Positive(Options.Alpha, nameof(ProxyAnchorOptions.Alpha));
        Guard.FiniteValue(Options.Margin, nameof(ProxyAnchorOptions.Margin));
    }

    /// <summary>Registry entry <c>proxyAnchor</c>: Kaiming-normal proxies (losses.md §1.2), the run's K and T.</summary>
    [RegisteredLoss]
    public static LossEntry Registration { get; } =
        LossEntry.Create<ProxyAnchorOptions>("proxyAnchor", "Proxy Anchor", (o, _) => new ProxyAnchorLoss(o), abbreviation: "PA");

    /// <summary>The hyperparameters.</summary>
    public ProxyAnchorOptions Options { get; }

    /// <inheritdoc/>
    public override string Name => "proxy_anchor";

    /// <inheritdoc/>
    protected override LossOutput ComputeCore(Tensor similarity, Tensor labels) =>
        ProxyAnchorTerms.Compute(similarity, TensorMath.OneHotMask(labels, similarity.shape[1]), Options.Alpha, Options.Margin);
}
