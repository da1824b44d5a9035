using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Internal;

/// <summary>Small numerically careful building blocks shared by the losses.</summary>
internal static class TensorMath
{
    /// <summary>The norm floor of <c>F.normalize</c>: x / max(||x||, 1e-12).</summary>
    public const double NormEpsilon = 1e-12;

    /// <summary>Row-wise L2 normalisation, x / max(||x||, 1e-12) (PyTorch's <c>F.normalize</c>).</summary>
    public static Tensor Normalize(Tensor x) => nn.functional.normalize(x, p: 2, dim: -1, eps: NormEpsilon);

    /// <summary>
    /// log(1 + Σ_{mask} exp(logits)) along <paramref name="dim"/>: masked entries become −inf and a 0 logit is
    /// appended, so an empty mask gives exactly 0 and nothing overflows (PML <c>logsumexp(add_one=True)</c>).
    /// </summary>
    public static Tensor LogOnePlusSumExp(Tensor logits, Tensor mask, long dim)
    {
        var masked = logits.masked_fill(mask.logical_not(), double.NegativeInfinity);
        var zeroShape = (long[])logits.shape.Clone();
        zeroShape[dim < 0 ? zeroShape.Length + dim : dim] = 1;
        var withOne = cat(new[] { masked, zeros(zeroShape, logits.dtype, logits.device) }, dim);
        return withOne.logsumexp(dim);
    }

    /// <summary>softplus(z) = log(1 + e^z) computed exactly for every z (torch's softplus switches to z above 20).</summary>
    public static Tensor ExactSoftplus(Tensor z) => z.clamp_min(0) + z.abs().neg().exp().log1p();

    /// <summary>Boolean (N x C) mask with true at (i, labels[i]).</summary>
    public static Tensor OneHotMask(Tensor labels, long numClasses) =>
        labels.unsqueeze(1).eq(arange(numClasses, ScalarType.Int64, labels.device).unsqueeze(0));
}
