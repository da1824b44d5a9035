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
    public void ResNet50_train_mode_backward_survives_the_strided_1x1_shortcuts()
    {
        // Regression: the stride-2 1×1 shortcuts of layer3.0 (512→1024) and layer4.0 (1024→2048) sent libtorch's
        // oneDNN into an integer division by zero (SIGFPE, killing the test host) in their backward-data pass, at every
        // map size tried; 32 px keeps this fast and leaves layer4 at 1×1 with two values per channel for train-mode BN.
        manual_seed(0);
        using var net = new ResNet50();
        net.train();
        using var images = randn(2, 3, 32, 32).requires_grad_();
        using var features = net.forward(images);
        Assert.Equal(new long[] { 2, 2048, 1, 1 }, features.shape);
        using var loss = features.square().sum();
        loss.backward();
        foreach (var name in new[] { "layer3.0.downsample.0.weight", "layer4.0.downsample.0.weight", "conv1.weight" })
        {
            var grad = net.get_parameter(name)!.grad;
            Assert.NotNull(grad);
            Assert.True(grad.isfinite().all().item<bool>() && grad.abs().sum().item<float>() > 0, name);
        }
        Assert.True(images.grad!.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResNet50_runs_the_channels_last_batches_DataLoader_gives_and_matches_the_NCHW_result(bool train)
    {
        // Regression: an RGB batch from DataLoader.ToBatch is (B, H, W, 3) permuted to (B, 3, H, W), channels-last strides;
        // libtorch then chose oneDNN's channels-last 1×1 convs, whose setup divides by zero for layer3/layer4's channel
        // counts (SIGFPE, killing the test host) in forward, train and eval mode alike.
        manual_seed(0);
        using var net = new ResNet50();
        if (train) net.train(); else net.eval();
        using var pixels = randn(2, 32, 32, 3);
        using var channelsLast = pixels.permute(0, 3, 1, 2).requires_grad_();
        using var nchw = channelsLast.detach().contiguous().requires_grad_();
        Assert.False(channelsLast.is_contiguous());
        using var features = net.forward(channelsLast);
        using var reference = net.forward(nchw);
        Assert.Equal(new long[] { 2, 2048, 1, 1 }, features.shape);
        Assert.True(features.eq(reference).all().item<bool>(), "same images in another layout gave other features");
        if (!train) return;
        using var loss = features.square().sum();
        loss.backward();
        Assert.True(channelsLast.grad!.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(9)]
    [InlineData(8)]
    public void Bottleneck_strided_shortcut_equals_torchvisions_strided_1x1_conv(int side)
    {
        // The block subsamples before a stride-1 1×1 conv (see Bottleneck); this is torchvision's block written out
        // with the strided conv, on the block's own weights, odd and even sizes.
        manual_seed(1);
        using var block = new Bottleneck(64, 32, 2);
        block.eval();
        using var _ = no_grad();
        // Non-trivial BN statistics and affine parameters (not 0/1), so that a shortcut mixed up with the main path shows.
        foreach (var (key, value) in block.named_parameters().Select(kv => (kv.name, (Tensor)kv.parameter)).Concat(block.named_buffers()))
        {
            if (key.EndsWith(".running_var") || (key.EndsWith(".weight") && value.dim() == 1)) value.uniform_(0.5, 1.5);
            else if (key.EndsWith(".running_mean") || key.EndsWith(".bias")) value.uniform_(-0.5, 0.5);
        }
        var p = block.state_dict();
        Tensor Bn(Tensor t, string n) => nn.functional.batch_norm(t, p[n + ".running_mean"], p[n + ".running_var"], p[n + ".weight"], p[n + ".bias"], false, 0.1, 1e-5);
        var x = randn(2, 64, side, side);
        var y = nn.functional.relu(Bn(nn.functional.conv2d(x, p["conv1.weight"]), "bn1"));
        y = nn.functional.relu(Bn(nn.functional.conv2d(y, p["conv2.weight"], strides: [2, 2], padding: [1, 1]), "bn2"));
        y = Bn(nn.functional.conv2d(y, p["conv3.weight"]), "bn3");
        var expected = nn.functional.relu(y + Bn(nn.functional.conv2d(x, p["downsample.0.weight"], strides: [2, 2]), "downsample.1"));
        var actual = block.forward(x);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
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
