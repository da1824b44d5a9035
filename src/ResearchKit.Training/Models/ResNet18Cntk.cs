using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// CNTK's ImageNet ResNet-18 as shipped in NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.24.0: torchvision's
/// ResNet-18 layout except that stage 4 has <b>three</b> basic blocks (stage blocks [2, 2, 2, 3], 15.9 M parameters),
/// without <c>avgpool</c>/<c>fc</c>. Field names follow torchvision (<c>conv1, bn1, layer1..4</c>,
/// <c>layerN.i.{conv1,bn1,conv2,bn2,downsample.0,downsample.1}</c>); <see cref="Weights.ResNet18OnnxConverter"/> maps the
/// ONNX graph's initializers onto them. The ONNX graph pads asymmetrically (stem [3,3,2,2], stride-2 convs and the max
/// pool [1,1,0,0]); symmetric padding reads the same windows for even input sides, so the module uses it and asks for
/// even sides. Forward returns the last feature map (N, 512, H/32, W/32); the ONNX model's output is its average.
/// </summary>
public sealed class ResNet18Cntk : nn.Module<Tensor, Tensor>
{
    /// <summary>Channels of the output feature map.</summary>
    public const int FeatureChannels = 512;

    /// <summary>Channels of the <c>layer3</c> output, the input of <see cref="ForwardFromLayer3"/>.</summary>
    public const int Layer3Channels = 256;

    /// <summary>
    /// Channel means (B, G, R; 0-255 scale) of the 224×224 mean image in the package's <c>ResNetPreprocess.onnx</c>
    /// (a test recomputes them from the file).
    /// </summary>
    public static IReadOnlyList<double> MeanBgr { get; } = [103.0626, 115.9029, 123.1516];

    /// <summary>Basic blocks per stage (CNTK's layout; torchvision's resnet18 has [2, 2, 2, 2]).</summary>
    public static IReadOnlyList<int> StageBlocks { get; } = [2, 2, 2, 3];

    private readonly Conv2d conv1;
    private readonly StableBatchNorm bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4;

    /// <summary>Builds a randomly initialized network (kaiming-normal fan-out convs, BN 1/0, as torchvision).</summary>
    public ResNet18Cntk() : base(nameof(ResNet18Cntk))
    {
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = StableBatchNorm.For2d(64);
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        long inplanes = 64;
        layer1 = MakeLayer(ref inplanes, 64, StageBlocks[0], 1);
        layer2 = MakeLayer(ref inplanes, 128, StageBlocks[1], 2);
        layer3 = MakeLayer(ref inplanes, 256, StageBlocks[2], 2);
        layer4 = MakeLayer(ref inplanes, 512, StageBlocks[3], 2);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var m in modules())
                if (m is Conv2d c)
                    nn.init.kaiming_normal_(c.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
    }

    /// <summary>The last stage (the part the <c>pretrained-layer4</c> profile trains).</summary>
    public nn.Module<Tensor, Tensor> Layer4 => layer4;

    private static Sequential MakeLayer(ref long inplanes, long planes, int blocks, long stride)
    {
        var list = new List<nn.Module<Tensor, Tensor>> { new BasicBlock(inplanes, planes, stride) };
        inplanes = planes;
        for (int i = 1; i < blocks; i++) list.Add(new BasicBlock(inplanes, planes, 1));
        return nn.Sequential(list.ToArray());
    }

    /// <summary>Images (N, 3, H, W), H and W even → (N, 512, H/32, W/32).</summary>
    /// <exception cref="ArgumentException">Not a 3-channel batch with even sides.</exception>
    public override Tensor forward(Tensor images) => ForwardFromLayer3(ForwardToLayer3(images));

    /// <summary>Stem and stages 1–3: images (N, 3, H, W) → (N, 256, H/16, W/16).</summary>
    /// <exception cref="ArgumentException">Not a 3-channel batch with even sides.</exception>
    public Tensor ForwardToLayer3(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] % 2 != 0 || images.shape[3] % 2 != 0)
            throw new ArgumentException(
                $"Expected images (N, 3, H, W) with even H and W (the ONNX graph's asymmetric padding equals symmetric padding only then); got ({string.Join(", ", images.shape)}).",
                nameof(images));
        // Intermediates are released as soon as the next layer has them (EagerRelease); the caller's images never are.
        var x = EagerRelease.Consume(EagerRelease.ConvBnRelu(conv1, bn1, images), maxpool.forward);
        x = EagerRelease.Consume(x, h => EagerRelease.Chain(layer1, h));
        x = EagerRelease.Consume(x, h => EagerRelease.Chain(layer2, h));
        return EagerRelease.Consume(x, h => EagerRelease.Chain(layer3, h));
    }

    /// <summary>Stage 4: (N, 256, h, w) → (N, 512, h/2, w/2).</summary>
    public Tensor ForwardFromLayer3(Tensor layer3Output) => EagerRelease.Chain(layer4, layer3Output);
}

/// <summary>torchvision's ResNet BasicBlock (two 3×3 convs, stride on the first; 1×1 conv + BN shortcut when the shape changes).</summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1, conv2;
    private readonly StableBatchNorm bn1, bn2;
    private readonly Sequential? downsample;

    /// <summary>Creates a block from <paramref name="inplanes"/> to <paramref name="planes"/> channels.</summary>
    public BasicBlock(long inplanes, long planes, long stride) : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = StableBatchNorm.For2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = StableBatchNorm.For2d(planes);
        if (stride != 1 || inplanes != planes)
            downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride: stride, bias: false), StableBatchNorm.For2d(planes));
        RegisterComponents();
    }

    /// <summary>relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x)).</summary>
    public override Tensor forward(Tensor x)
    {
        // torchvision's order with its in-place ops (out += identity; relu_), intermediates released once used
        // (EagerRelease); x belongs to the caller.
        var y = EagerRelease.Consume(EagerRelease.ConvBnRelu(conv1, bn1, x), h => EagerRelease.ConvBn(conv2, bn2, h));
        if (downsample is null) y.add_(x);
        else
        {
            using var identity = downsample.forward(x);
            y.add_(identity);
        }
        return EagerRelease.ReluInPlace(y);
    }
}
