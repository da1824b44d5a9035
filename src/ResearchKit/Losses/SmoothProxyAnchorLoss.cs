using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>Which samples are the positives of proxy c in Smooth Proxy-Anchor.</summary>
public enum PositiveRule
{
    /// <summary>{i : conf_ic ≥ θ} (relabelling by confidence; the labels are not used). Primary.</summary>
    Confidence,
    /// <summary>{i : y_i = c and conf_ic ≥ θ}.</summary>
    LabelAndConfidence,
}

/// <summary>
/// Smooth Proxy-Anchor hyperparameters (a reconstruction, losses.md §7; μ, β, θ are unknown in the paper, these are the
/// golden file's values): α = 32, δ = 0.1, μ = 0.5, β = 10, θ = 0.5.
/// </summary>
public sealed record SmoothProxyAnchorOptions : LossOptions
{
    /// <summary>α (&gt; 0).</summary>
    public double Alpha { get; init; } = 32;
    /// <summary>δ.</summary>
    public double Delta { get; init; } = 0.1;
    /// <summary>μ, position of the smoothing sigmoid.</summary>
    public double Mu { get; init; } = 0.5;
    /// <summary>β, sharpness of the smoothing sigmoid (&gt; 0).</summary>
    public double Beta { get; init; } = 10;
    /// <summary>θ, confidence threshold for positives.</summary>
    public double Theta { get; init; } = 0.5;
    /// <summary>How positives are selected.</summary>
    public PositiveRule PositiveRule { get; init; } = PositiveRule.Confidence;
}

/// <summary>
/// Smooth Proxy-Anchor (Roig et al. 2020, reconstruction of losses.md §7): with σ_ic = sigmoid(β(conf_ic − μ)),
/// pos_c = log(1 + Σ_{i ∈ X_c⁺} σ_ic e^{−α(S_ic − δ)}), neg_c = log(1 + Σ_{i ∉ X_c⁺} (1 − σ_ic) e^{α(S_ic + δ)}),
/// L = Σ_c pos_c / #{c with a positive} (0 if none) + Σ_c neg_c / C. The weights enter as exact log-weights
/// (log σ = −softplus(−z), log(1 − σ) = −softplus(z)) inside the masked logsumexp.
/// Without confidences (<see cref="IClassSimilarityLoss.Compute"/>) the one-hot labels are the confidences (clean labels).
/// Parts: <see cref="LossParts.ProxyPositive"/> + <see cref="LossParts.ProxyNegative"/> = total.
/// </summary>
public sealed class SmoothProxyAnchorLoss : ClassSimilarityLoss, IConfidenceWeightedLoss
{
    /// <summary>Creates the loss.</summary>
    public SmoothProxyAnchorLoss(SmoothProxyAnchorOptions? options = null)
    {
        Options = options ?? new SmoothProxyAnchorOptions();
        Guard.Positive(Options.Alpha, nameof(SmoothProxyAnchorOptions.Alpha));
        Guard.FiniteValue(Options.Delta, nameof(SmoothProxyAnchorOptions.Delta));
        Guard.FiniteValue(Options.Mu, nameof(SmoothProxyAnchorOptions.Mu));
        Guard.Positive(Options.Beta, nameof(SmoothProxyAnchorOptions.Beta));
        Guard.FiniteValue(Options.Theta, nameof(SmoothProxyAnchorOptions.Theta));
        Guard.Defined(Options.PositiveRule, nameof(SmoothProxyAnchorOptions.PositiveRule));
    }

    /// <summary>
    /// Registry entry <c>smoothProxyAnchor</c>: Kaiming-normal proxies, the run's K and T; training supplies the
    /// per-sample class confidences (from a confidence module, losses.md §7).
    /// </summary>
    [RegisteredLoss]
    public static LossEntry Registration { get; } = LossEntry.Create<SmoothProxyAnchorOptions>("smoothProxyAnchor", "Smooth Proxy Anchor",
        (o, _) => new SmoothProxyAnchorLoss(o), needsConfidences: true);

    /// <summary>The hyperparameters.</summary>
    public SmoothProxyAnchorOptions Options { get; }

    /// <inheritdoc/>
    public override string Name => "smooth_proxy_anchor";

    /// <inheritdoc/>
    public LossOutput Compute(Tensor similarity, Tensor labels, Tensor confidences)
    {
        var y = Validate(similarity, labels);
        ArgumentNullException.ThrowIfNull(confidences);
        if (!confidences.shape.SequenceEqual(similarity.shape))
            throw new ArgumentException($"expected confidences of shape [{Guard.Shape(similarity)}] (N x C) but got [{Guard.Shape(confidences)}]", nameof(confidences));
        Guard.SameDevice(confidences, similarity, nameof(confidences), "the similarity matrix");
        if (!confidences.is_floating_point())
            throw new ArgumentException($"expected floating-point confidences but got {confidences.dtype}", nameof(confidences));
        Guard.Finite(confidences, nameof(confidences));
        if (confidences.lt(0).any().item<bool>() || confidences.gt(1).any().item<bool>())
            throw new ArgumentException("expected confidences in [0, 1]", nameof(confidences));
        return Smooth(similarity, y, confidences.detach().to_type(similarity.dtype));
    }

    /// <inheritdoc/>
    protected override LossOutput ComputeCore(Tensor similarity, Tensor labels) =>
        Smooth(similarity, labels, TensorMath.OneHotMask(labels, similarity.shape[1]).to_type(similarity.dtype));

    private LossOutput Smooth(Tensor similarity, Tensor labels, Tensor confidences)
    {
        var o = Options;
        long c = similarity.shape[1];
        var z = (confidences - o.Mu) * o.Beta;
        var logSigma = TensorMath.ExactSoftplus(z.neg()).neg();
        var logOneMinusSigma = TensorMath.ExactSoftplus(z).neg();
        var positive = confidences.ge(o.Theta);
        if (o.PositiveRule == PositiveRule.LabelAndConfidence)
            positive = positive.logical_and(TensorMath.OneHotMask(labels, c));

        return ProxyAnchorTerms.Compute(similarity, positive, o.Alpha, o.Delta, logSigma, logOneMinusSigma,
            new KeyValuePair<string, Tensor>[] { Part(LossDiagnostics.PositiveMask, positive), Part(LossDiagnostics.Sigma, logSigma.exp()) });
    }
}
