using ResearchKit.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Models;

/// <summary>
/// <see cref="ChannelsLast.Pointwise"/> is the conv it replaces: values and gradients of input, weight and bias against
/// <c>conv.forward</c> in float64, for each layout the ResNet-50 block hands it; plus the layout test and bad input.
/// </summary>
public class ChannelsLastTests
{
    public static TheoryData<string, bool> Layouts => new()
    {
        { "nchw", false }, { "nchw", true },
        { "channels-last", false }, { "channels-last", true },
        { "strided-slice", false },  // the block's shortcut input x[:, :, ::2, ::2]
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Pointwise_equals_the_1x1_conv_with_gradients(string layout, bool bias)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var conv = nn.Conv2d(6, 5, 1, bias: bias).to(ScalarType.Float64);
        var source = randn(3, 6, 7, 9, float64);
        var input = layout switch
        {
            "nchw" => source,
            "channels-last" => ChannelsLast.Copy(source),
            _ => source[.., .., TensorIndex.Slice(step: 2), TensorIndex.Slice(step: 2)],
        };
        Assert.Equal(layout == "channels-last", ChannelsLast.Is(input));
        var weights = randn(3, 5, input.shape[2], input.shape[3], float64);

        var (expected, expectedGrads) = Run(conv, input, weights, (c, x) => c.forward(x));
        var (actual, actualGrads) = Run(conv, input, weights, ChannelsLast.Pointwise);

        Assert.True(ChannelsLast.Is(actual), "the product's output should be channels-last");
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.allclose(actual, rtol: 1e-12, atol: 1e-12), $"values: max diff {(expected - actual).abs().max().item<double>():E3}");
        Assert.Equal(expectedGrads.Length, actualGrads.Length);
        for (int i = 0; i < expectedGrads.Length; i++)
            Assert.True(expectedGrads[i].allclose(actualGrads[i], rtol: 1e-12, atol: 1e-12), $"gradient {i}");
    }

    private static (Tensor Output, Tensor[] Grads) Run(nn.Module conv, Tensor input, Tensor weights, Func<TorchSharp.Modules.Conv2d, Tensor, Tensor> forward)
    {
        var c = (TorchSharp.Modules.Conv2d)conv;
        foreach (var p in c.parameters()) p.grad?.zero_();
        var x = input.detach().requires_grad_();
        var output = forward(c, x);
        (output * weights).sum().backward();
        var grads = new List<Tensor> { x.grad!.clone(), c.weight!.grad!.clone() };
        if (c.bias is { } b) grads.Add(b.grad!.clone());
        return (output.detach(), grads.ToArray());
    }

    [Fact]
    public void Is_tells_channels_last_from_NCHW_and_views()
    {
        using var scope = NewDisposeScope();
        var nchw = randn(2, 3, 4, 5);
        Assert.False(ChannelsLast.Is(nchw));
        Assert.True(ChannelsLast.Is(ChannelsLast.Copy(nchw)));
        Assert.True(ChannelsLast.Is(randn(2, 5, 4, 3).permute(0, 3, 1, 2)));           // DataLoader's RGB batches
        Assert.False(ChannelsLast.Is(ChannelsLast.Copy(nchw)[.., .., TensorIndex.Slice(step: 2)]));  // not dense
        Assert.True(ChannelsLast.Is(randn(2, 8, 1, 1)));                                  // 1×1 maps: both layouts at once
        Assert.False(ChannelsLast.Is(randn(2, 3, 4)));
    }

    [Fact]
    public void Pointwise_rejects_other_convs_and_channel_counts()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 4, 5, 5);
        Assert.Equal("conv", Assert.Throws<ArgumentException>(() => ChannelsLast.Pointwise(nn.Conv2d(4, 4, 3), x)).ParamName);
        Assert.Equal("conv", Assert.Throws<ArgumentException>(() => ChannelsLast.Pointwise(nn.Conv2d(4, 4, 1, stride: 2), x)).ParamName);
        Assert.Equal("conv", Assert.Throws<ArgumentException>(() => ChannelsLast.Pointwise(nn.Conv2d(4, 4, 1, groups: 2), x)).ParamName);
        Assert.Equal("conv", Assert.Throws<ArgumentException>(() => ChannelsLast.Pointwise(nn.Conv2d(4, 4, 1, padding: 1), x)).ParamName);
        var wrongChannels = Assert.Throws<ArgumentException>(() => ChannelsLast.Pointwise(nn.Conv2d(3, 4, 1), x));
        Assert.Equal("x", wrongChannels.ParamName);
        Assert.Contains("(N, 3, H, W)", wrongChannels.Message);
    }
}
