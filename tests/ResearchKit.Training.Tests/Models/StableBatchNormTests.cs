using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using ResearchKit.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Models;

/// <summary>The kit's BatchNorm is TorchSharp's (PyTorch's) BatchNorm in values, gradients, running state and state keys.</summary>
public class StableBatchNormTests
{
    private static void CopyState(nn.Module from, nn.Module to)
    {
        using var _ = no_grad();
        var target = to.state_dict();
        foreach (var (name, value) in from.state_dict()) target[name].copy_(value);
    }

    private static void AssertSameState(nn.Module expected, nn.Module actual)
    {
        var a = actual.state_dict();
        Assert.Equal(expected.state_dict().Keys.OrderBy(k => k), a.Keys.OrderBy(k => k));
        foreach (var (name, value) in expected.state_dict())
        {
            Assert.Equal(value.dtype, a[name].dtype);
            Assert.True(value.allclose(a[name], rtol: 1e-6, atol: 1e-7), name);
        }
    }

    public static TheoryData<int, double> Cases => new() { { 2, 0.1 }, { 2, 0.9 }, { 1, 0.1 } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torchsharps_batchnorm_in_training_and_eval(int dims, double momentum)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        nn.Module<Tensor, Tensor> reference = dims == 2 ? nn.BatchNorm2d(6, momentum: momentum) : nn.BatchNorm1d(6, momentum: momentum);
        var stable = dims == 2 ? StableBatchNorm.For2d(6, momentum: momentum) : StableBatchNorm.For1d(6, momentum: momentum);
        using (no_grad())
        {
            ((BatchNorm)reference).weight!.uniform_(0.5, 1.5, generator: g);
            ((BatchNorm)reference).bias!.uniform_(-0.5, 0.5, generator: g);
        }
        CopyState(reference, stable);
        long[] shape = dims == 2 ? [5, 6, 4, 3] : [7, 6];
        for (int step = 0; step < 3; step++)
        {
            var x = (randn(shape, generator: g) * 2 + 1).requires_grad_(true);
            var xs = x.detach().clone().requires_grad_(true);
            var y = reference.call(x);
            var ys = stable.call(xs);
            Assert.True(y.allclose(ys, rtol: 1e-5, atol: 1e-6));
            var w = randn(y.shape, generator: g);
            (y * w).sum().backward();
            (ys * w).sum().backward();
            Assert.True(x.grad!.allclose(xs.grad!, rtol: 1e-5, atol: 1e-6));
            Assert.True(((BatchNorm)reference).weight!.grad!.allclose(stable.weight!.grad!, rtol: 1e-5, atol: 1e-6));
            AssertSameState(reference, stable);
        }
        Assert.Equal(3, stable.num_batches_tracked!.item<long>());
        reference.eval();
        stable.eval();
        var probe = randn(shape, generator: g);
        Assert.True(reference.call(probe).allclose(stable.call(probe), rtol: 1e-5, atol: 1e-6));
        AssertSameState(reference, stable);   // eval leaves the running state alone
    }

    [Fact]
    public void Rejects_inputs_of_the_wrong_rank_or_width()
    {
        using var scope = NewDisposeScope();
        var bn2 = StableBatchNorm.For2d(4);
        Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => bn2.call(randn(2, 4))).ParamName);
        Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => bn2.call(randn(2, 5, 3, 3))).ParamName);
        Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => StableBatchNorm.For1d(4).call(randn(2, 4, 3, 3))).ParamName);
        Assert.Equal("features", Assert.ThrowsAny<ArgumentException>(() => StableBatchNorm.For2d(0)).ParamName);
        Assert.Equal("momentum", Assert.ThrowsAny<ArgumentException>(() => StableBatchNorm.For2d(4, momentum: 1.5)).ParamName);
    }

    [Fact]
    public void Backbones_use_it_and_the_freezing_rules_find_the_2d_layers_only()
    {
        using var scope = NewDisposeScope();
        var cnn = new GlyphCnn();
        var layers = Freezing.BatchNorm2dLayers(cnn).ToList();
        Assert.Equal(cnn.Options.Widths.Count, layers.Count);
        Assert.All(layers, l => Assert.IsType<StableBatchNorm>(l));
        Assert.Empty(cnn.modules().OfType<BatchNorm2d>());   // no TorchSharp BatchNorm left in the kit's backbones
        Assert.Empty(Freezing.BatchNorm2dLayers(new FeatureMlp(8, 4)));   // the 1-d layer is not an image BatchNorm
        Freezing.SetTrainMode(cnn, BatchNormFreeze.EvalAndFrozenAffine);
        Assert.All(layers, l => Assert.False(l.training));
    }
}
