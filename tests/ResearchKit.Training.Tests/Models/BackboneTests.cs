using ResearchKit.Training.Models;
using ResearchKit.Training.Weights;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Models;

public class BackboneTests
{
    [Fact]
    public void ResNet50_has_torchvision_names_and_parameter_count()
    {
        using var net = new ResNet50();
        // torchvision resnet50: 25,557,032 parameters, minus fc (2048·1000 + 1000) = 23,508,032.
        Assert.Equal(25_557_032L - 2_049_000L, ModuleInfo.CountParameters(net));
        var keys = net.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer1.0.downsample.0.weight",
                     "layer1.0.downsample.1.running_mean", "layer2.3.bn3.bias", "layer3.5.conv2.weight", "layer4.2.bn3.weight" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain("layer1.1.downsample.0.weight", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("fc."));
        // 53 conv/BN pairs: 1 stem + 16 blocks × 3 + 4 downsamples; BN contributes weight, bias, mean, var (+ counter).
        Assert.Equal(53, keys.Count(k => k.EndsWith(".running_mean")));
    }

    [Fact]
    public void ResNet50_forward_gives_2048x7x7()
    {
        using var net = new ResNet50();
        net.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 1, 2048, 7, 7 }, net.forward(randn(1, 3, 224, 224)).shape);
    }

    [Fact]
    public void BNInception_has_cadene_flat_names_and_parameter_count()
    {
        using var net = new BNInception();
        var keys = net.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "conv1_7x7_s2.weight", "conv1_7x7_s2.bias", "conv1_7x7_s2_bn.weight", "conv1_7x7_s2_bn.running_mean",
                     "conv2_3x3_reduce.weight", "inception_3a_1x1.weight", "inception_3a_pool_proj_bn.running_var",
                     "inception_3c_double_3x3_2.weight", "inception_4e_3x3_bn.bias", "inception_5b_pool_proj_bn.weight" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain("inception_3c_1x1.weight", keys);      // the stride-2 blocks have no 1×1 branch
        Assert.DoesNotContain("inception_4e_pool_proj.weight", keys); // … and no pool projection
        Assert.Equal(3 + 8 * 7 + 2 * 5, keys.Count(k => k.EndsWith("_bn.running_mean"))); // 8 four-branch blocks of 7 conv units, 2 stride-2 blocks of 5
        // Cadene's bninception has 11,295,240 parameters; without last_linear (1024·1000 + 1000): 10,270,240.
        Assert.Equal(11_295_240L - 1_025_000L, ModuleInfo.CountParameters(net));
    }

    [Fact]
    public void BNInception_forward_gives_1024x7x7()
    {
        using var net = new BNInception();
        net.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 1, 1024, 7, 7 }, net.forward(randn(1, 3, 224, 224)).shape);
    }

    [Theory]
    [InlineData(BackboneRegistry.GlyphCnn, 1, 32, 256, 4)]
    [InlineData(BackboneRegistry.GlyphCnnRgb, 3, 64, 256, 8)]
    public void Glyph_cnn_forward_shape(string name, int channels, int size, int featureDim, int side)
    {
        var (net, spec) = BackboneRegistry.Default.Create(name);
        Assert.Equal(channels, spec.InputChannels);
        Assert.Equal(featureDim, spec.FeatureDim);
        Assert.Equal(new long[] { 2, featureDim, side, side }, net.forward(randn(2, channels, size, size)).shape);
    }

    [Fact]
    public void Feature_mlp_embeds_cached_vectors()
    {
        var net = BackboneRegistry.Default.CreateEmbeddingNetwork(BackboneRegistry.FeatureMlp,
            new EmbeddingHeadOptions { EmbeddingSize = 64 }, adjust: s => s with { InputChannels = 100, FeatureDim = 32 });
        var y = net.forward(randn(8, 100));
        Assert.Equal(new long[] { 8, 64 }, y.shape);
        Assert.Throws<ArgumentException>(() => net.forward(randn(8, 99)));
    }

    [Fact]
    public void Registry_rejects_unknown_and_duplicate_names()
    {
        var r = BackboneRegistry.CreateDefault();
        var ex = Assert.Throws<ArgumentException>(() => r.Get("resnet-51"));
        Assert.Contains("bn-inception", ex.Message);
        Assert.Throws<ArgumentException>(() => r.Register(r.Get("resnet50").Spec, _ => new ResNet50()));
        Assert.Equal(ChannelOrder.Bgr, r.Get(BackboneRegistry.BNInception).Spec.ChannelOrder);
        Assert.Equal(255, r.Get(BackboneRegistry.BNInception).Spec.InputRangeMax);
    }
}
