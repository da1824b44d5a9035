using ResearchKit.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Models;

public class EmbeddingHeadTests
{
    [Fact]
    public void Output_rows_have_unit_norm_and_unnormalized_option_differs()
    {
        torch.manual_seed(3);
        var head = new EmbeddingHead(16, new EmbeddingHeadOptions { EmbeddingSize = 8 });
        var x = randn(5, 16, 3, 3);
        var y = head.forward(x);
        Assert.Equal(new long[] { 5, 8 }, y.shape);
        Assert.True(y.norm(1).allclose(ones(5), atol: 1e-5));
        var raw = head.Forward(x, normalize: false);
        Assert.False(raw.norm(1).allclose(ones(5), atol: 1e-3));
        Assert.True((raw / raw.norm(1, keepdim: true)).allclose(y, atol: 1e-5));
    }

    [Fact]
    public void Pooling_is_average_plus_max_as_in_proxy_anchor()
    {
        var head = new EmbeddingHead(2, new EmbeddingHeadOptions { EmbeddingSize = 4 });
        var x = tensor(new float[] { 1, 2, 3, 6, /* ch1 */ -1, 0, 0, 5 }).reshape(1, 2, 2, 2);
        var pooled = head.Pool(x);
        Assert.True(pooled.allclose(tensor(new float[] { 3 + 6, 1 + 5 }).reshape(1, 2)));
        var avg = new EmbeddingHead(2, new EmbeddingHeadOptions { Pooling = GlobalPooling.Average }).Pool(x);
        Assert.True(avg.allclose(tensor(new float[] { 3, 1 }).reshape(1, 2)));
        var max = new EmbeddingHead(2, new EmbeddingHeadOptions { Pooling = GlobalPooling.Max }).Pool(x);
        Assert.True(max.allclose(tensor(new float[] { 6, 5 }).reshape(1, 2)));
    }

    [Fact]
    public void Linear_uses_kaiming_normal_fan_out_and_zero_bias()
    {
        torch.manual_seed(0);
        var head = new EmbeddingHead(1024, new EmbeddingHeadOptions { EmbeddingSize = 512 });
        var w = head.Embedding.weight!;
        Assert.Equal(new long[] { 512, 1024 }, w.shape);
        // fan_out of a (512, 1024) weight is 512: std = sqrt(2/512) = 0.0625 (fan_in would give 0.0442).
        Assert.InRange(w.std().item<float>(), 0.0615, 0.0635);
        Assert.Equal(0f, head.Embedding.bias!.abs().max().item<float>());
    }

    [Fact]
    public void Vector_inputs_skip_pooling_and_bad_shapes_are_rejected()
    {
        var head = new EmbeddingHead(6, new EmbeddingHeadOptions { EmbeddingSize = 3 });
        Assert.Equal(new long[] { 4, 3 }, head.forward(randn(4, 6)).shape);
        var ex = Assert.Throws<ArgumentException>(() => head.forward(randn(4, 5, 2, 2)));
        Assert.Equal("features", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmbeddingHead(0));
    }
}
