using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// Channels-last ("NHWC in an NCHW shape") activations for the backbones: a (N, C, H, W) tensor whose channels are the
/// densest axis. libtorch's CPU convolutions (oneDNN), BatchNorm, pooling and element-wise kernels all keep this layout,
/// and oneDNN's channels-last kernels are the faster ones on CPU (a PyTorch ResNet-50 step at batch 32 and 224 px ran
/// 4.69 → 8.27 img/s on 2 cores with <c>torch.channels_last</c>, docs/speed-eval-and-peers.md).
/// </summary>
internal static class ChannelsLast
{
    /// <summary>Whether <paramref name="x"/> is a dense 4-d tensor in channels-last order (strides H·W·C, 1, W·C, C).</summary>
    public static bool Is(Tensor x)
    {
        if (x.dim() != 4) return false;
        var (shape, stride) = (x.shape, x.stride());
        long c = shape[1], h = shape[2], w = shape[3];
        // Axes of extent 1 may carry any stride (libtorch's own rule for contiguity).
        return (c == 1 || stride[1] == 1) && (w == 1 || stride[3] == c) && (h == 1 || stride[2] == w * c)
               && (shape[0] == 1 || stride[0] == h * w * c);
    }

    /// <summary>A channels-last copy of the 4-d <paramref name="x"/> (same shape, same values; autograd flows through).</summary>
    public static Tensor Copy(Tensor x)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// A 1×1, stride-1, unpadded, ungrouped convolution of a 4-d activation as one matrix product,
    /// (N·H·W, C_in) · W(C_out, C_in)ᵀ, returned channels-last. Same function and weights as <c>conv.forward</c> (the
    /// sums run in another order, so the last bits may differ); the input may have any strides (a strided slice is
    /// gathered once).
    /// </summary>
    /// <remarks>
    /// Why not the conv: libtorch 2.10's oneDNN 3.7.1 divides by zero (SIGFPE in
    /// <c>brgemm_convolution_utils::brg_blocking_t::est_eff_1x1</c>) setting up a channels-last 1×1 conv with 1,024 or
    /// more channels on one side, in forward, train and eval mode: 256→1024, 512→1024, 512→2048, 1024→512 and 1024→2048
    /// crashed on a Zen 4 CPU at 4×4 to 14×14 maps and batch 2 and 32. As a product the 1×1 convs are also no slower:
    /// a kit ResNet-50 step with every 1×1 conv a product ran 7.8 img/s against 7.4 with only the crashing ones
    /// (Xeon, 2 cores).
    /// </remarks>
    /// <exception cref="ArgumentException">A conv that is not 1×1 / stride 1 / unpadded / ungrouped, or a channel mismatch.</exception>
    public static Tensor Pointwise(Conv2d conv, Tensor x)
    {
        var weight = conv.weight ?? throw new ArgumentException("expected a conv with a weight", nameof(conv));
        long cout = weight.shape[0], cin = weight.shape[1];
        if (weight.shape[2] != 1 || weight.shape[3] != 1 || conv.stride is not [1, 1] || conv.groups != 1
            || conv.padding is { } p && p.Any(v => v != 0) || conv.dilation is { } d && d.Any(v => v != 1))
            throw new ArgumentException($"expected a 1x1, stride-1, unpadded, ungrouped conv; got weight ({string.Join(", ", weight.shape)})", nameof(conv));
        if (x.dim() != 4 || x.shape[1] != cin)
            throw new ArgumentException($"expected (N, {cin}, H, W) activations; got ({string.Join(", ", x.shape)})", nameof(x));
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        using var nhwc = x.permute(0, 2, 3, 1);
        using var rows = nhwc.reshape(n * h * w, cin);
        using var matrix = weight.reshape(cout, cin);
        using var transposed = matrix.t();
        using var products = conv.bias is { } bias ? bias.addmm(rows, transposed) : rows.mm(transposed);
        using var map = products.view(n, h, w, cout);
        return map.permute(0, 3, 1, 2);
    }
}
