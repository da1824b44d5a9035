using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>How the embedding head reduces a (N, C, H, W) feature map to (N, C).</summary>
public enum GlobalPooling
{
    /// <summary>Global average pooling plus global max pooling, added (Proxy-Anchor's <c>gap(x) + gmp(x)</c>).</summary>
    AveragePlusMax,
    /// <summary>Global average pooling only (SoftTriple's network).</summary>
    Average,
    /// <summary>Global max pooling only (ProxyNCA++'s ResNet-50 setting).</summary>
    Max,
}

/// <summary>Options of <see cref="EmbeddingHead"/>; defaults are Proxy-Anchor's (losses.md §0).</summary>
public sealed record EmbeddingHeadOptions
{
    /// <summary>Embedding size D (paper: 512).</summary>
    public int EmbeddingSize { get; init; } = 512;

    /// <summary>Global pooling of a 4-d feature map; 2-d inputs (cached features) skip pooling.</summary>
    public GlobalPooling Pooling { get; init; } = GlobalPooling.AveragePlusMax;

    /// <summary>L2-normalize the output (<c>x / sqrt(||x||² + 1e-12)</c>, Proxy-Anchor's <c>l2_norm</c>).</summary>
    public bool Normalize { get; init; } = true;
}

/// <summary>
/// Proxy-Anchor's embedding head: global pooling → <c>Linear(features, D)</c> (kaiming-normal fan-out weight,
/// zero bias) → optional L2 normalization. The linear layer is named <c>embedding</c>, as in Proxy-Anchor's code.
/// </summary>
public sealed class EmbeddingHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear embedding;

    /// <summary>Creates the head for a backbone with <paramref name="featureDim"/> output channels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive feature dimension or embedding size.</exception>
    public EmbeddingHead(int featureDim, EmbeddingHeadOptions? options = null) : base(nameof(EmbeddingHead))
    {
        Options = options ?? new EmbeddingHeadOptions();
        if (featureDim <= 0) throw new ArgumentOutOfRangeException(nameof(featureDim), featureDim, "Expected a positive feature dimension.");
        if (Options.EmbeddingSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), Options.EmbeddingSize, "Expected a positive EmbeddingSize.");
        FeatureDim = featureDim;
        embedding = nn.Linear(featureDim, Options.EmbeddingSize);
        using (no_grad())
        {
            // PyTorch's kaiming_normal_ default (leaky_relu, a = 0) has gain sqrt(2), the same as ReLU.
            nn.init.kaiming_normal_(embedding.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            nn.init.zeros_(embedding.bias!);
        }
        RegisterComponents();
    }

    /// <summary>The options this head was built with.</summary>
    public EmbeddingHeadOptions Options { get; }

    /// <summary>Input channels (the backbone's feature dimension).</summary>
    public int FeatureDim { get; }

    /// <summary>The linear projection (for parameter groups: the head gets the base learning rate).</summary>
    public Linear Embedding => embedding;

    /// <summary>Embeds a feature map (N, C, H, W) or feature vectors (N, C); normalized when <see cref="EmbeddingHeadOptions.Normalize"/>.</summary>
    public override Tensor forward(Tensor features) => Forward(features, Options.Normalize);

    /// <summary>Embeds features, choosing per call whether to L2-normalize the output.</summary>
    /// <exception cref="ArgumentException">The input is not (N, C, H, W) or (N, C) with C = <see cref="FeatureDim"/>.</exception>
    public Tensor Forward(Tensor features, bool normalize)
    {
        var pooled = Pool(features);
        var x = embedding.forward(pooled);
        return normalize ? L2Normalize(x) : x;
    }

    /// <summary>Reduces a (N, C, H, W) map to (N, C) with the configured pooling; (N, C) passes through.</summary>
    public Tensor Pool(Tensor features)
    {
        if ((features.dim() != 4 && features.dim() != 2) || features.shape[1] != FeatureDim)
            throw new ArgumentException(
                $"Expected features of shape (N, {FeatureDim}, H, W) or (N, {FeatureDim}); got ({string.Join(", ", features.shape)}).",
                nameof(features));
        if (features.dim() == 2) return features;
        var flat = features.flatten(2);
        return Options.Pooling switch
        {
            GlobalPooling.AveragePlusMax => flat.mean([2]) + flat.amax([2]),
            GlobalPooling.Average => flat.mean([2]),
            GlobalPooling.Max => flat.amax([2]),
            _ => throw new ArgumentOutOfRangeException(nameof(features), Options.Pooling, "Unknown pooling."),
        };
    }

    // Rooted for the process: an implicit Scalar (`+ 1e-12`) can be finalised by a GC while libtorch reads it
    // (docs/torchsharp-scalar-race.md); runs on cached features step fast enough to hit that ("Expected false to be true").
    private static readonly Scalar L2Epsilon = 1e-12;

    /// <summary>Proxy-Anchor's <c>l2_norm</c>: <c>x / sqrt(Σx² + 1e-12)</c> along dimension 1.</summary>
    public static Tensor L2Normalize(Tensor x) => x / x.square().sum(1, keepdim: true).add(L2Epsilon).sqrt();
}
