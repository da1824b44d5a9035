using ResearchKit.Internal;
using ResearchKit.Similarity;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>Normalized Softmax hyperparameters (Zhai &amp; Wu 2019): temperature T = 0.05, the paper's and PML's default.</summary>
public sealed record NormalizedSoftmaxOptions : LossOptions
{
    /// <summary>T, dividing the cosines before the softmax (&gt; 0); 1/T is the logit scale (20 for T = 0.05).</summary>
    public double Temperature { get; init; } = 0.05;
}

/// <summary>
/// Normalized Softmax (Zhai &amp; Wu, "Classification is a Strong Baseline for Deep Metric Learning", BMVC 2019): softmax
/// cross-entropy over temperature-scaled cosines to L2-normalised proxies, loss_i = −log(e^{S_iy/T} / Σ_c e^{S_ic/T}),
/// L = mean_i. S is the cosine head's (one proxy per class in the paper; any head, or the CP composite, plugs in).
/// The proxies start standard normal (PML's default weight init; the authors' code uses nn.Linear's U(±1/√D): after
/// normalisation both are random directions). Part: <see cref="LossParts.CrossEntropy"/> = total.
/// </summary>
public sealed class NormalizedSoftmaxLoss : ClassSimilarityLoss
{
    /// <summary>Registry entry <c>normalizedSoftmax</c>: standard-normal proxies, the run's K and T of the head.</summary>
    [RegisteredLoss]
    public static LossEntry Registration { get; } = LossEntry.Create<NormalizedSoftmaxOptions>("normalizedSoftmax", "Normalized Softmax",
        (o, _) => new NormalizedSoftmaxLoss(o), head: _ => new ProxyHeadDefaults(ProxyInit.StandardNormal), abbreviation: "NormSoftmax");

    /// <summary>Creates the loss; the options are checked (T &gt; 0).</summary>
    public NormalizedSoftmaxLoss(NormalizedSoftmaxOptions? options = null)
    {
        Options = options ?? new NormalizedSoftmaxOptions();
        Guard.Positive(Options.Temperature, nameof(NormalizedSoftmaxOptions.Temperature));
    }

    /// <summary>The hyperparameters.</summary>
    public NormalizedSoftmaxOptions Options { get; }

    /// <inheritdoc/>
    public override string Name => "normalized_softmax";

    /// <inheritdoc/>
    protected override LossOutput ComputeCore(Tensor similarity, Tensor labels) =>
        MarginSoftmax.Output(similarity, labels, 1 / Options.Temperature, margin: 0);
}
