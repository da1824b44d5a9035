using ResearchKit.Training.Config;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// A pretrained backbone split into a frozen front, whose outputs are computed once and cached, and the trainable part
/// that runs on them (<see cref="CachedInput"/>): the CPU stand-ins for the paper's fine-tuning.
/// </summary>
/// <param name="Extract">Images → cached rows (N, D): run once per image, in eval mode, without gradients.</param>
/// <param name="Trainable">Cached rows → feature map or vector for the embedding head.</param>
/// <param name="TrainableChannels">Channels of <paramref name="Trainable"/>'s output (the head's input).</param>
public sealed record FrozenFront(Func<Tensor, Tensor> Extract, nn.Module<Tensor, Tensor> Trainable, int TrainableChannels)
{
    /// <summary>The split <paramref name="input"/> names, of a backbone built with its pretrained weights.</summary>
    /// <exception cref="ArgumentException"><see cref="CachedInput.Images"/>, or layer-3 activations of a backbone other than ResNet-18.</exception>
    public static FrozenFront For(CachedInput input, nn.Module<Tensor, Tensor> backbone)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return input switch
        {
            // The backbone's own global average pool (the ONNX model's output for ResNet-18); no trainable backbone part.
            CachedInput.BackboneFeatures => new FrozenFront(x => backbone.forward(x).mean([2, 3]), new CachedRows(), FeatureChannelsOf(backbone)),
            CachedInput.Layer3Activations when backbone is ResNet18Cntk r =>
                new FrozenFront(x => r.ForwardToLayer3(x).flatten(1), new CachedLayer3(r.Layer4), ResNet18Cntk.FeatureChannels),
            CachedInput.Layer3Activations => throw new ArgumentException(
                $"CachedInput.Layer3Activations needs the '{BackboneRegistry.ResNet18}' backbone; got {backbone.GetType().Name}.", nameof(backbone)),
            _ => throw new ArgumentException($"CachedInput.{input} has no frozen front (images train the whole backbone).", nameof(input)),
        };
    }

    private static int FeatureChannelsOf(nn.Module<Tensor, Tensor> backbone) => backbone switch
    {
        ResNet18Cntk => ResNet18Cntk.FeatureChannels,
        ResNet50 => ResNet50.FeatureChannels,
        BNInception => BNInception.FeatureChannels,
        _ => throw new ArgumentException($"cached backbone features need a known feature size; {backbone.GetType().Name} has none here.", nameof(backbone)),
    };
}

/// <summary>Cached feature vectors (N, D) passed through: the backbone part of a frozen-backbone run has no parameters.</summary>
public sealed class CachedRows : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the pass-through.</summary>
    public CachedRows() : base(nameof(CachedRows)) => RegisterComponents();

    /// <summary>Returns the rows (N, D) unchanged.</summary>
    /// <exception cref="ArgumentException">Not a 2-d batch.</exception>
    public override Tensor forward(Tensor rows) => rows.dim() == 2 ? rows.alias()
        : throw new ArgumentException($"Expected cached feature rows (N, D); got ({string.Join(", ", rows.shape)}).", nameof(rows));
}

/// <summary>ResNet-18's stage 4 over cached, flattened layer-3 activations (N, 256·h·h) with square h.</summary>
public sealed class CachedLayer3 : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layer4;

    /// <summary>Wraps the pretrained stage 4 (its parameters train; its BatchNorm follows the run's freeze rule).</summary>
    public CachedLayer3(nn.Module<Tensor, Tensor> layer4) : base(nameof(CachedLayer3))
    {
        this.layer4 = layer4 ?? throw new ArgumentNullException(nameof(layer4));
        RegisterComponents();
    }

    /// <summary>(N, 256·h·h) → (N, 512, h/2, h/2).</summary>
    /// <exception cref="ArgumentException">The rows are not 256 square maps.</exception>
    public override Tensor forward(Tensor rows)
    {
        long area = rows.dim() == 2 ? rows.shape[1] / ResNet18Cntk.Layer3Channels : 0;
        long side = (long)Math.Round(Math.Sqrt(area));
        if (rows.dim() != 2 || side * side * ResNet18Cntk.Layer3Channels != rows.shape[1])
            throw new ArgumentException($"Expected flattened layer-3 activations (N, {ResNet18Cntk.Layer3Channels}·h·h); got ({string.Join(", ", rows.shape)}).", nameof(rows));
        return layer4.forward(rows.view(rows.shape[0], ResNet18Cntk.Layer3Channels, side, side));
    }
}
