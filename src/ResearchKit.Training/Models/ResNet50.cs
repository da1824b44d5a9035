using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// torchvision's ResNet-50 (v1.5: stride on the 3×3 conv) without <c>avgpool</c>/<c>fc</c>. Field names match
/// torchvision (<c>conv1, bn1, layer1..4</c>, <c>layerN.i.{conv1,bn1,conv2,bn2,conv3,bn3,downsample.0,downsample.1}</c>),
/// so a converted torchvision or timm <c>resnet50.tv_in1k</c> state dict loads 1:1 (the <c>fc.*</c> keys are dropped).
/// Forward returns the last feature map: (N, 2048, H/32, W/32).
/// </summary>
public sealed class ResNet50 : nn.Module<Tensor, Tensor>
{
    /// <summary>Channels of the output feature map.</summary>
    public const int FeatureChannels = 2048;

    private readonly Conv2d conv1;
    private readonly StableBatchNorm bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4;

    /// <summary>Builds a randomly initialized network (torchvision's init: kaiming-normal fan-out convs, BN 1/0).</summary>
    /// <param name="inChannels">Input channels (3 for ImageNet weights).</param>
    public ResNet50(int inChannels = 3) : base(nameof(ResNet50))
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "Expected a positive channel count.");
        conv1 = nn.Conv2d(inChannels, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = StableBatchNorm.For2d(64);
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        long inplanes = 64;
        layer1 = MakeLayer(ref inplanes, 64, 3, 1);
        layer2 = MakeLayer(ref inplanes, 128, 4, 2);
        layer3 = MakeLayer(ref inplanes, 256, 6, 2);
        layer4 = MakeLayer(ref inplanes, 512, 3, 2);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var m in modules())
                if (m is Conv2d c)
                    nn.init.kaiming_normal_(c.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
    }

    private static Sequential MakeLayer(ref long inplanes, long planes, int blocks, long stride)
    {
        var list = new List<nn.Module<Tensor, Tensor>> { new Bottleneck(inplanes, planes, stride) };
        inplanes = planes * Bottleneck.Expansion;
        for (int i = 1; i < blocks; i++) list.Add(new Bottleneck(inplanes, planes, 1));
        return nn.Sequential(list.ToArray());
    }

    /// <summary>
    /// Images (N, C, H, W) → (N, 2048, H/32, W/32), computed and returned channels-last (<see cref="ChannelsLast"/>):
    /// images in another layout are copied into it once, and every 1×1 conv runs as a matrix product on it
    /// (<see cref="ChannelsLast.Pointwise"/>; oneDNN's own channels-last 1×1 convs crash for layer3/layer4's channel
    /// counts). The images' layout does not change the result: both run on the same channels-last copy.
    /// </summary>
    public override Tensor forward(Tensor images)
    {
        using var copy = ChannelsLast.Is(images) ? null : ChannelsLast.Copy(images);
        // Intermediates are released as soon as the next layer has them (EagerRelease); the caller's images never are.
        var x = EagerRelease.Consume(EagerRelease.ConvBnRelu(conv1, bn1, copy ?? images), maxpool.forward);
        x = EagerRelease.Consume(x, h => EagerRelease.Chain(layer1, h));
        x = EagerRelease.Consume(x, h => EagerRelease.Chain(layer2, h));
        x = EagerRelease.Consume(x, h => EagerRelease.Chain(layer3, h));
        return EagerRelease.Consume(x, h => EagerRelease.Chain(layer4, h));
    }
}

/// <summary>torchvision's ResNet Bottleneck block (expansion 4, stride on <c>conv2</c>).</summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>Output channels per <c>planes</c>.</summary>
    public const int Expansion = 4;

    private readonly Conv2d conv1, conv2, conv3;
    private readonly StableBatchNorm bn1, bn2, bn3;
    private readonly Sequential? downsample;   // registers downsample.0/.1 under torchvision's names
    // downsample.0 and .1 again, run by hand in forward; a tuple, because RegisterComponents would register module
    // fields a second time under their field names (new state-dict keys).
    private readonly (Conv2d Conv, StableBatchNorm Bn)? shortcut;
    private readonly long stride;

    /// <summary>Creates a block; a 1×1 conv + BN shortcut (<c>downsample.0/1</c>) is added when the shape changes.</summary>
    /// <remarks>
    /// The 1×1 convs (conv1, conv3, the shortcut) run as matrix products on channels-last activations
    /// (<see cref="ChannelsLast.Pointwise"/>), so a strided shortcut is computed as <c>downsample(x[:, :, ::stride, ::stride])</c>:
    /// the same function as torchvision's stride-<c>stride</c> 1×1 conv (no padding, so it reads exactly those pixels)
    /// with the same weights. The product also keeps libtorch 2.10's oneDNN 3.7.1 out of two places where it divides by
    /// zero (SIGFPE): the backward-data pass of a strided NCHW 1×1 conv with 512→1024 or 1024→2048 channels, and any
    /// channels-last 1×1 conv with 1,024 or more channels on one side (<c>brg_blocking_t::est_eff_1x1</c>).
    /// </remarks>
    public Bottleneck(long inplanes, long planes, long stride) : base(nameof(Bottleneck))
    {
        this.stride = stride;
        conv1 = nn.Conv2d(inplanes, planes, 1, bias: false);
        bn1 = StableBatchNorm.For2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = StableBatchNorm.For2d(planes);
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = StableBatchNorm.For2d(planes * Expansion);
        if (stride != 1 || inplanes != planes * Expansion)
        {
            var (conv, bn) = (nn.Conv2d(inplanes, planes * Expansion, 1, bias: false), StableBatchNorm.For2d(planes * Expansion));
            shortcut = (conv, bn);
            downsample = nn.Sequential(conv, bn);
        }
        RegisterComponents();
    }

    /// <summary>bn(conv(x)) for a 1×1 conv, the conv as a product on channels-last activations (see <see cref="ResNet50.forward"/>).</summary>
    private static Tensor PointwiseBn(Conv2d conv, BatchNorm bn, Tensor x) => EagerRelease.Consume(ChannelsLast.Pointwise(conv, x), bn.forward);

    /// <summary>relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1 x)))))) + shortcut(x)).</summary>
    public override Tensor forward(Tensor x)
    {
        // torchvision's order with its in-place ops (out += identity; relu_): each intermediate is released once used
        // (EagerRelease); x belongs to the caller.
        var y = EagerRelease.ReluInPlace(PointwiseBn(conv1, bn1, x));
        y = EagerRelease.Consume(y, h => EagerRelease.ConvBnRelu(conv2, bn2, h));
        y = EagerRelease.Consume(y, h => PointwiseBn(conv3, bn3, h));
        if (shortcut is not { } s) y.add_(x);
        else
        {
            using var input = stride == 1 ? x.alias() : x[.., .., TensorIndex.Slice(step: stride), TensorIndex.Slice(step: stride)];
            using var identity = PointwiseBn(s.Conv, s.Bn, input);
            y.add_(identity);
        }
        return EagerRelease.ReluInPlace(y);
    }
}
