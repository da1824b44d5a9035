using ResearchKit.Training.Weights;

namespace ResearchKit.Training.Models;

/// <summary>Channel order a backbone expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision, timm).</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe-era weights such as Cadene's BN-Inception).</summary>
    Bgr,
    /// <summary>One gray channel.</summary>
    Gray,
}

/// <summary>
/// What a backbone is and what it expects (timm's pretrained-config pattern): output channels, input size and
/// preprocessing, and how a pretrained state dict maps onto it. Preprocessing: pixels in [0, 1] are scaled to
/// [0, <see cref="InputRangeMax"/>], reordered to <see cref="ChannelOrder"/>, then <c>(x − Mean) / Std</c>.
/// </summary>
public sealed record BackboneSpec
{
    /// <summary>Registry name.</summary>
    public required string Name { get; init; }

    /// <summary>Channels of the output feature map (the embedding head's input).</summary>
    public required int FeatureDim { get; init; }

    /// <summary>Input channels (for a feature MLP: the cached feature dimension).</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>Square input side in pixels (1 for vector inputs).</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>Channel order of the input.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Upper end of the input pixel range: 1 (torchvision) or 255 (Cadene's BN-Inception).</summary>
    public double InputRangeMax { get; init; } = 1.0;

    /// <summary>Per-channel mean, in the input range and channel order.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [0.485, 0.456, 0.406];

    /// <summary>Per-channel standard deviation, in the input range and channel order.</summary>
    public IReadOnlyList<double> Std { get; init; } = [0.229, 0.224, 0.225];

    /// <summary>How the converted pretrained state dict maps onto this backbone.</summary>
    public WeightKeyMap WeightsKeyMap { get; init; } = WeightKeyMap.Identity;

    /// <summary>Suggested file name of the converted weights (see docs/pretrained-weights.md); null if none exist.</summary>
    public string? WeightsFile { get; init; }

    /// <summary>Where the original weights come from (for documentation).</summary>
    public string? WeightsSource { get; init; }

    /// <summary>
    /// Writes the converted weights to the given path when that file is missing (set-up at first use, e.g. converting
    /// the restored NuGet package's ONNX file for <c>resnet18</c>); null when the weights must be converted by hand.
    /// </summary>
    public Action<string>? ProvideWeights { get; init; }
}
