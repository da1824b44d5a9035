namespace ResearchKit.Training.Config;

/// <summary>Where Smooth Proxy-Anchor's per-sample class confidences come from.</summary>
public enum ConfidenceSource
{
    /// <summary>A confidence module (one sigmoid per class, BCE on the noisy labels) on frozen features (losses.md §7). Primary.</summary>
    Module,
    /// <summary>The one-hot (noisy) labels: Smooth Proxy-Anchor without a confidence module (an ablation).</summary>
    OneHotLabels,
}

/// <summary>Which frozen features the confidence module is trained on.</summary>
public enum ConfidenceFeatureSource
{
    /// <summary><see cref="FrozenBackbone"/> when the run has pretrained backbone weights, otherwise <see cref="RawPixels"/>.</summary>
    Auto,
    /// <summary>The run's backbone with its pretrained weights, frozen, pooled as the embedding head pools (the paper's setting).</summary>
    FrozenBackbone,
    /// <summary>Mean-centred, L2-normalised raw pixels (<c>RawPixelBaseline.Embeddings</c>): for backbones trained from scratch,
    /// whose frozen random initialisation carries no information.</summary>
    RawPixels,
}

/// <summary>
/// The Smooth Proxy-Anchor confidence module (losses.md §7): a linear layer (or an MLP with <see cref="HiddenSize"/> hidden
/// units) with C sigmoid outputs, trained with binary cross-entropy on the noisy labels over frozen features before the
/// embedding is trained. Few epochs on purpose: a long fit memorises the flipped labels.
/// </summary>
public sealed record ConfidenceModuleConfig
{
    /// <summary>Where the confidences come from.</summary>
    public ConfidenceSource Source { get; init; } = ConfidenceSource.Module;

    /// <summary>Which frozen features the module sees.</summary>
    public ConfidenceFeatureSource Features { get; init; } = ConfidenceFeatureSource.Auto;

    /// <summary>Hidden units of the MLP; 0 = one linear layer.</summary>
    public int HiddenSize { get; init; }

    /// <summary>Passes over the training features.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Batch size over the cached features.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Checks ranges; throws naming the first bad field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public ConfidenceModuleConfig Validate()
    {
        static void Require(bool ok, string field, string expected, object? actual)
        {
            if (!ok) throw new ArgumentException($"Loss.Confidence.{field} must be {expected}; got {actual}.", field);
        }
        Require(Enum.IsDefined(Source), nameof(Source), string.Join(" or ", Enum.GetNames<ConfidenceSource>()), Source);
        Require(Enum.IsDefined(Features), nameof(Features), string.Join(", ", Enum.GetNames<ConfidenceFeatureSource>()), Features);
        Require(HiddenSize >= 0, nameof(HiddenSize), ">= 0 (0 = linear)", HiddenSize);
        Require(Epochs > 0, nameof(Epochs), "> 0", Epochs);
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), "a positive finite number", LearningRate);
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), ">= 0", WeightDecay);
        Require(BatchSize > 0, nameof(BatchSize), "> 0", BatchSize);
        return this;
    }
}
