using ResearchKit.Internal;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// SoftTriple hyperparameters (losses.md §3.2): λ (la) = 20, γ = 0.1, δ = 0.01, τ = 0.2, K = 10.
/// The loss uses <see cref="La"/> and <see cref="Margin"/>; γ and K belong to the head
/// (<see cref="CreateHead"/>), τ to the regulariser (<see cref="CreateRegularizer"/>).
/// </summary>
public sealed record SoftTripleOptions : LossOptions
{
    /// <summary>λ, the scale of the logits (&gt; 0).</summary>
    public double La { get; init; } = 20;
    /// <summary>γ, the temperature of the within-class softmax over centres (&gt; 0).</summary>
    public double Gamma { get; init; } = 0.1;
    /// <summary>δ, the margin subtracted from the true class.</summary>
    public double Margin { get; init; } = 0.01;
    /// <summary>τ, the weight of the centre regulariser (≥ 0; 0 = off).</summary>
    public double Tau { get; init; } = 0.2;
    /// <summary>K, centres per class.</summary>
    public int CentersPerClass { get; init; } = 10;

    /// <summary>The SoftTriple head: K centres per class, relaxed similarity with T = γ.</summary>
    public ProxySimilarity CreateHead(int numClasses, int embeddingSize, ScalarType dtype = ScalarType.Float32,
        Device? device = null, Generator? generator = null) =>
        ProxySimilarity.ForSoftTriple(numClasses, embeddingSize, CentersPerClass, Gamma, dtype, device, generator);

    /// <summary>The centre regulariser with weight τ.</summary>
    public SoftTripleRegularizer CreateRegularizer() => new(Tau);
}

/// <summary>
/// SoftTriple (Qian et al. 2019) on S: loss_i = CE(λ (S_i − δ·onehot(y_i)), y_i), L = mean_i. S is the relaxed
/// similarity from <see cref="ProxySimilarity.ForSoftTriple"/> (or the CP composite, Eq. 9). The τ centre regulariser is a
/// separate piece, <see cref="SoftTripleRegularizer"/>. Part: <see cref="LossParts.CrossEntropy"/> = total.
/// </summary>
public sealed class SoftTripleLoss : ClassSimilarityLoss
{
    /// <summary>Creates the loss.</summary>
    public SoftTripleLoss(SoftTripleOptions? options = null)
    {
        Options = options ?? new SoftTripleOptions();
        Guard.Positive(Options.La, nameof(SoftTripleOptions.La));
        Guard.Positive(Options.Gamma, nameof(SoftTripleOptions.Gamma));
        Guard.FiniteValue(Options.Margin, nameof(SoftTripleOptions.Margin));
        Guard.NonNegative(Options.Tau, nameof(SoftTripleOptions.Tau));
        Guard.AtLeastOne(Options.CentersPerClass, nameof(SoftTripleOptions.CentersPerClass));
    }

    /// <summary>
    /// Registry entry <c>softTriple</c>: its own head (K = <see cref="SoftTripleOptions.CentersPerClass"/> centres,
    /// T = γ, kaiming-uniform init) with or without CP, and the τ centre regulariser.
    /// </summary>
    [RegisteredLoss]
    public static LossEntry Registration { get; } = LossEntry.Create<SoftTripleOptions>("softTriple", "SoftTriple",
        (o, _) => new SoftTripleLoss(o),
        head: o => new ProxyHeadDefaults(ProxyInit.SoftTripleUniform, o.CentersPerClass, o.Gamma),
        regularizer: o => o.CreateRegularizer());

    /// <summary>The hyperparameters.</summary>
    public SoftTripleOptions Options { get; }

    /// <inheritdoc/>
    public override string Name => "soft_triple";

    /// <inheritdoc/>
    protected override LossOutput ComputeCore(Tensor similarity, Tensor labels) =>
        MarginSoftmax.Output(similarity, labels, Options.La, Options.Margin);
}
