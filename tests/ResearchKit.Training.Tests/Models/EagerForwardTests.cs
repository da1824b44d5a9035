using TorchSharp;
using ResearchKit.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Models;

/// <summary>
/// The backbones' forward passes release intermediates early and run ReLU and the residual sum in place
/// (<c>EagerRelease</c>). These tests compare each against the plain out-of-place composition of the same submodules,
/// written here from the module names alone: train-mode outputs, input gradients and every parameter gradient.
/// </summary>
public class EagerForwardTests
{
    [Fact]
    public void ResNet50_equals_the_plain_composition_with_gradients()
    {
        // float64: the block's 1×1 convs run as matrix products (ChannelsLast.Pointwise), whose float32 rounding differs
        // from the conv's, and train-mode BatchNorm over 2 images of 2×2 maps amplifies that to ~2e-4 here; in float64 a
        // mistake still shows at full size and rounding does not.
        manual_seed(11);
        using var net = new ResNet50();
        net.to(ScalarType.Float64);
        AssertSameAsReference(net, randn(2, 3, 64, 64, float64), x =>
        {
            var h = Module<MaxPool2d>(net, "maxpool").forward(ConvBnRelu(net, "conv1", "bn1", x));
            foreach (var stage in new[] { "layer1", "layer2", "layer3", "layer4" })
                foreach (var (name, block) in Module<Sequential>(net, stage).named_children())
                    h = PlainBottleneck((nn.Module)block, h);
            return h;
        });
    }

    [Fact]
    public void ResNet18_equals_the_plain_composition_with_gradients()
    {
        manual_seed(12);
        using var net = new ResNet18Cntk();
        AssertSameAsReference(net, randn(2, 3, 64, 64), x =>
        {
            var h = Module<MaxPool2d>(net, "maxpool").forward(ConvBnRelu(net, "conv1", "bn1", x));
            foreach (var stage in new[] { "layer1", "layer2", "layer3", "layer4" })
                foreach (var (_, block) in Module<Sequential>(net, stage).named_children())
                {
                    var m = (nn.Module)block;
                    var y = ConvBn(m, "conv2", "bn2", ConvBnRelu(m, "conv1", "bn1", h));
                    var identity = Children(m).ContainsKey("downsample") ? Module<Sequential>(m, "downsample").forward(h) : h;
                    h = nn.functional.relu(y + identity);
                }
            return h;
        });
    }

    [Fact]
    public void BNInception_equals_the_plain_composition_with_gradients()
    {
        manual_seed(13);
        using var net = new BNInception();
        var children = Children(net);
        AssertSameAsReference(net, randn(2, 3, 96, 96), x =>
        {
            Tensor Cbr(string name, Tensor input) => ConvBnRelu(net, name, name + "_bn", input);
            Tensor Pool(string name, Tensor input) => ((nn.Module<Tensor, Tensor>)children[name]).forward(input);
            var h = Pool("pool2_3x3_s2", Cbr("conv2_3x3", Cbr("conv2_3x3_reduce", Pool("pool1_3x3_s2", Cbr("conv1_7x7_s2", x)))));
            foreach (var block in new[] { "3a", "3b", "3c", "4a", "4b", "4c", "4d", "4e", "5a", "5b" })
            {
                var p = $"inception_{block}_";
                var branches = new List<Tensor>();
                if (children.ContainsKey(p + "1x1")) branches.Add(Cbr(p + "1x1", h));
                branches.Add(Cbr(p + "3x3", Cbr(p + "3x3_reduce", h)));
                branches.Add(Cbr(p + "double_3x3_2", Cbr(p + "double_3x3_1", Cbr(p + "double_3x3_reduce", h))));
                var pooled = Pool(p + "pool", h);
                branches.Add(children.ContainsKey(p + "pool_proj") ? Cbr(p + "pool_proj", pooled) : pooled);
                h = cat(branches, 1);
            }
            return h;
        });
    }

    private static Tensor PlainBottleneck(nn.Module block, Tensor x)
    {
        var y = ConvBnRelu(block, "conv1", "bn1", x);
        y = ConvBnRelu(block, "conv2", "bn2", y);
        y = ConvBn(block, "conv3", "bn3", y);
        if (!Children(block).ContainsKey("downsample")) return nn.functional.relu(y + x);
        // The shortcut reads every stride-th pixel (the stride of conv2); a strided 1×1 conv itself would crash libtorch's
        // oneDNN in backward (see Bottleneck), and its equality with this is BackboneTests' concern.
        long stride = Module<Conv2d>(block, "conv2").stride![0];
        var sampled = x[.., .., TensorIndex.Slice(step: stride), TensorIndex.Slice(step: stride)];
        return nn.functional.relu(y + Module<Sequential>(block, "downsample").forward(sampled));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GlyphCnn_pooling_before_relu_is_the_conv_bn_relu_pool_block_bit_for_bit(bool channelsLast)
    {
        // The module pools before its ReLU (a quarter of the elements for both ReLU passes). Max and ReLU commute
        // exactly, so the output, the input gradient and every parameter gradient must equal the textbook order's to the
        // bit: float32, train mode, windows whose elements are all negative (the ReLU's ties at zero) included. Pooling
        // before the BatchNorm, say, would fail this.
        manual_seed(13);
        using var net = new GlyphCnn(new GlyphCnnOptions { Widths = [8, 16, 32] });
        var features = Module<Sequential>(net, "features");
        var input = randn(4, 1, 32, 32);
        if (channelsLast) input = ChannelsLast.Copy(input);
        AssertSameAsReference(net, input, x =>
        {
            var h = x;
            for (int b = 1; b <= 3; b++)
            {
                h = ConvBnRelu(features, $"conv{b}", $"bn{b}", h);
                if (b < 3) h = nn.functional.max_pool2d(h, 2);
            }
            return h;
        }, exact: true);
    }

    private static void AssertSameAsReference(nn.Module<Tensor, Tensor> net, Tensor input, Func<Tensor, Tensor> reference, bool exact = false)
    {
        using var scope = NewDisposeScope();
        net.train();
        var parameters = net.named_parameters().ToList();
        var (refOut, refGradIn, refGrads) = Run(reference, input, parameters);
        var (out_, gradIn, grads) = Run(net.forward, input, parameters);
        AssertClose("output", refOut, out_, exact);
        AssertClose("input gradient", refGradIn, gradIn, exact);
        for (int i = 0; i < parameters.Count; i++) AssertClose(parameters[i].name + " gradient", refGrads[i], grads[i], exact);
    }

    private static (Tensor Output, Tensor InputGrad, Tensor[] Grads) Run(Func<Tensor, Tensor> forward, Tensor input,
        List<(string name, Parameter parameter)> parameters)
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
        var x = input.detach().clone().requires_grad_();
        var output = forward(x);
        // A fixed random weighting, so that every output element's gradient path counts.
        var weights = randn(output.shape, output.dtype, generator: new Generator(5));
        (output * weights).sum().backward();
        return (output.detach().clone(), x.grad!.clone(), parameters.Select(p => p.parameter.grad!.clone()).ToArray());
    }

    private static void AssertClose(string what, Tensor expected, Tensor actual, bool exact = false)
    {
        Assert.Equal(expected.shape, actual.shape);
        if (exact) Assert.True(expected.eq(actual).all().item<bool>(), $"{what}: not bit-identical to the plain composition");
        double scale = Math.Max(expected.abs().max().to(float64).item<double>(), 1e-12);
        double diff = (expected - actual).abs().max().to(float64).item<double>();
        Assert.True(diff <= 1e-5 * scale, $"{what}: max |eager - plain| = {diff:E3} (scale {scale:E3})");
    }

    private static Tensor ConvBnRelu(nn.Module m, string conv, string bn, Tensor x) => nn.functional.relu(ConvBn(m, conv, bn, x));

    private static Tensor ConvBn(nn.Module m, string conv, string bn, Tensor x) =>
        Module<BatchNorm>(m, bn).forward(Module<Conv2d>(m, conv).forward(x));

    private static Dictionary<string, nn.Module> Children(nn.Module m) => m.named_children().ToDictionary(c => c.name, c => c.module);

    private static T Module<T>(nn.Module m, string name) where T : nn.Module => (T)Children(m)[name];
}
