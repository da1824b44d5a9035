using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>Options of <see cref="GlyphCnn"/>.</summary>
public sealed record GlyphCnnOptions
{
    /// <summary>Input channels: 1 for grayscale glyphs, 3 for RGB.</summary>
    public int InChannels { get; init; } = 1;

    /// <summary>Output channels of each conv-BN-ReLU block; every block but the last halves the resolution.</summary>
    public IReadOnlyList<int> Widths { get; init; } = [32, 64, 128, 256];
}

/// <summary>
/// A small CNN for 32–64 px glyphs: blocks of 3×3 conv (no bias) → BatchNorm → ReLU, with 2×2 max pooling after
/// every block but the last (run before the ReLU, which gives the same numbers and gradients; see the constructor).
/// Forward returns the final feature map (N, Widths[^1], H/2^(B−1), W/2^(B−1)).
/// </summary>
public sealed class GlyphCnn : nn.Module<Tensor, Tensor>
{
    private readonly Sequential features;

    /// <summary>Builds the network; conv weights use kaiming-normal fan-out init as torchvision's ResNet does.</summary>
    /// <exception cref="ArgumentException">No blocks, or a non-positive channel count.</exception>
    public GlyphCnn(GlyphCnnOptions? options = null) : base(nameof(GlyphCnn))
    {
        Options = options ?? new GlyphCnnOptions();
        if (Options.InChannels <= 0) throw new ArgumentException($"Expected InChannels > 0; got {Options.InChannels}.", nameof(options));
        if (Options.Widths.Count == 0 || Options.Widths.Any(w => w <= 0))
            throw new ArgumentException("Expected at least one block width, all positive.", nameof(options));
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long inCh = Options.InChannels;
        for (int b = 0; b < Options.Widths.Count; b++)
        {
            var conv = nn.Conv2d(inCh, Options.Widths[b], 3, padding: 1, bias: false);
            using (no_grad()) nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            layers.Add(($"conv{b + 1}", conv));
            layers.Add(($"bn{b + 1}", StableBatchNorm.For2d(Options.Widths[b])));
            // Pooling before the ReLU: max and ReLU commute exactly (ReLU is monotone), in values and in gradients
            // (the window's maximum is the same element either way, and its gradient passes only where it is > 0),
            // so this is the conv → BN → ReLU → pool block bit for bit, with the ReLU's two passes on a quarter of
            // the elements.
            if (b < Options.Widths.Count - 1) layers.Add(($"pool{b + 1}", nn.MaxPool2d(2)));
            layers.Add(($"relu{b + 1}", nn.ReLU()));
            inCh = Options.Widths[b];
        }
        features = nn.Sequential(layers);
        FeatureDim = Options.Widths[^1];
        RegisterComponents();
    }

    /// <summary>The options this network was built with.</summary>
    public GlyphCnnOptions Options { get; }

    /// <summary>Channels of the output feature map.</summary>
    public int FeatureDim { get; }

    /// <summary>Images (N, InChannels, H, W) → feature map.</summary>
    public override Tensor forward(Tensor images) => features.forward(images);
}
