using ResearchKit.Internal;
using ResearchKit.Similarity;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>CosFace hyperparameters: margin m = 0.35 and scale s = 64 (Wang et al. 2018's and PML's <c>CosFaceLoss</c> defaults).</summary>
public sealed record CosFaceOptions : LossOptions
{
    /// <summary>m, the additive margin subtracted from the target cosine (≥ 0).</summary>
    public double Margin { get; init; } = 0.35;
    /// <summary>s, the scale of the logits (&gt; 0).</summary>
    public double Scale { get; init; } = 64;
}

/// <summary>
/// A CosFace-style proxy loss (Wang et al., "CosFace: Large Margin Cosine Loss", CVPR 2018; PML's <c>CosFaceLoss</c>) on S:
/// loss_i = −log(e^{s(S_iy − m)} / (e^{s(S_iy − m)} + Σ_{c≠y} e^{s S_ic})), L = mean_i: softmax cross-entropy over scaled
/// cosines with an additive margin on the target. S is the cosine head's (or the CP composite). The proxies start standard
/// normal (PML's default weight init). Part: <see cref="LossParts.CrossEntropy"/> = total.
/// </summary>
public sealed class CosFaceLoss : ClassSimilarityLoss
{
    /// <summary>Registry entry <c>cosFace</c>: standard-normal proxies, the run's K and T of the head.</summary>
    [RegisteredLoss]
    public static LossEntry Registration { get; } = LossEntry.Create<CosFaceOptions>("cosFace", "CosFace",
        (o, _) => new CosFaceLoss(o), head: _ => new ProxyHeadDefaults(ProxyInit.StandardNormal));

    /// <summary>Creates the loss; the options are checked (m ≥ 0, s &gt; 0).</summary>
    public CosFaceLoss(CosFaceOptions? options = null)
    {
        Options = options ?? new CosFaceOptions();
        Guard.NonNegative(Options.Margin, nameof(CosFaceOptions.Margin));
        Guard.Positive(Options.Scale, nameof(CosFaceOptions.Scale));
    }

    /// <summary>The hyperparameters.</summary>
    public CosFaceOptions Options { get; }

    /// <inheritdoc/>
    public override string Name => "cos_face";

    /// <inheritdoc/>
    protected override LossOutput ComputeCore(Tensor similarity, Tensor labels) =>
        MarginSoftmax.Output(similarity, labels, Options.Scale, Options.Margin);
}
