using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Confidence;

/// <summary>
/// Smooth Proxy-Anchor's confidence module (losses.md §7): frozen features [B, F] → C logits, one sigmoid per class
/// (multi-label, not a softmax). Inputs are centred per dimension and scaled by one global factor (the training features'
/// root-mean-square deviation; buffers set by <see cref="SetStandardization"/>), so raw pixels and backbone features train at
/// one learning rate. One factor, not one per dimension: per-dimension scaling blows up near-constant pixels (glyph borders).
/// </summary>
public sealed class ConfidenceModule : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;
    private readonly Tensor mean;
    private readonly Tensor inverseStd;

    /// <summary>Creates the module (initialised from torch's global generator).</summary>
    /// <param name="featureDim">Feature dimension F (&gt; 0).</param>
    /// <param name="numClasses">Classes C (&gt; 0).</param>
    /// <param name="hiddenSize">Hidden units of a one-hidden-layer ReLU MLP; 0 = one linear layer.</param>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public ConfidenceModule(int featureDim, int numClasses, int hiddenSize = 0) : base(nameof(ConfidenceModule))
    {
        if (featureDim < 1) throw new ArgumentException($"featureDim must be > 0; got {featureDim}.", nameof(featureDim));
        if (numClasses < 1) throw new ArgumentException($"numClasses must be > 0; got {numClasses}.", nameof(numClasses));
        if (hiddenSize < 0) throw new ArgumentException($"hiddenSize must be >= 0 (0 = linear); got {hiddenSize}.", nameof(hiddenSize));
        (FeatureDim, NumClasses, HiddenSize) = (featureDim, numClasses, hiddenSize);
        layers = hiddenSize == 0
            ? nn.Sequential(("fc", nn.Linear(featureDim, numClasses)))
            : nn.Sequential(("fc1", nn.Linear(featureDim, hiddenSize)), ("relu", nn.ReLU()), ("fc2", nn.Linear(hiddenSize, numClasses)));
        // Owned by the module, not by a dispose scope the caller may have open.
        mean = zeros(featureDim).DetachFromDisposeScope();
        inverseStd = ones(featureDim).DetachFromDisposeScope();
        RegisterComponents();
    }

    /// <summary>Feature dimension F.</summary>
    public int FeatureDim { get; }

    /// <summary>Classes C.</summary>
    public int NumClasses { get; }

    /// <summary>Hidden units (0 = linear).</summary>
    public int HiddenSize { get; }

    /// <summary>Sets the input centring and scale from training features [N, F] (constant features keep scale 1).</summary>
    /// <exception cref="ArgumentException">Wrong shape.</exception>
    public void SetStandardization(Tensor features)
    {
        CheckFeatures(features, nameof(features));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = features.to(ScalarType.Float32);
        var mu = x.mean([0L]);
        var rms = (x - mu).square().mean().sqrt().item<float>();
        mean.copy_(mu);
        inverseStd.fill_(rms > 1e-8f ? 1.0 / rms : 1.0);
    }

    /// <summary>
    /// Sets the output bias to the log prior odds of each class (frequencies of <paramref name="labels"/>, clamped to
    /// [1/(2N), 1 − 1/(2N)]): the module starts at the base rate 1/C instead of 0.5, so a short fit spends its steps on
    /// telling classes apart rather than on pushing every negative down.
    /// </summary>
    /// <exception cref="ArgumentException">Labels not 1-D or outside [0, C).</exception>
    public void SetPriorBias(Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.dim() != 1 || labels.shape[0] < 1 || labels.is_floating_point())
            throw new ArgumentException($"expected N > 0 integer labels but got [{string.Join(", ", labels.shape)}] {labels.dtype}", nameof(labels));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (labels.lt(0).any().item<bool>() || labels.ge(NumClasses).any().item<bool>())
            throw new ArgumentException($"expected labels in [0, {NumClasses})", nameof(labels));
        double n = labels.shape[0];
        var p = labels.to(ScalarType.Int64).cpu().bincount(null, NumClasses).to(ScalarType.Float32).div(n).clamp(0.5 / n, 1 - 0.5 / n);
        var output = (Linear)layers.children().Last();
        output.bias!.copy_(p.log() - (1 - p).log());
    }

    /// <summary>Per-class logits [B, C] of features [B, F].</summary>
    /// <exception cref="ArgumentException">Features not [B, F] floating point.</exception>
    public override Tensor forward(Tensor features)
    {
        CheckFeatures(features, nameof(features));
        return layers.forward((features.to(mean.dtype) - mean) * inverseStd);
    }

    /// <summary>Per-class confidences c(x, p) = sigmoid(logit) in [0, 1], [B, C].</summary>
    public Tensor Confidences(Tensor features) => forward(features).sigmoid();

    private void CheckFeatures(Tensor features, string name)
    {
        ArgumentNullException.ThrowIfNull(features, name);
        if (features.dim() != 2 || features.shape[1] != FeatureDim)
            throw new ArgumentException($"expected features of shape [N, {FeatureDim}] but got [{string.Join(", ", features.shape)}]", name);
        if (!features.is_floating_point())
            throw new ArgumentException($"expected floating-point features but got {features.dtype}", name);
    }
}
