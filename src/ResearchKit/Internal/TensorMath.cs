using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Internal;

/// <summary>Small numerically careful building blocks shared by the losses.</summary>
internal static class TensorMath
{
    /// <summary>The norm floor of <c>F.normalize</c>: x / max(||x||, 1e-12).</summary>
    public const double NormEpsilon = 1e-12;

    // Rooted for the process's lifetime: an implicit Scalar argument can be finalised while libtorch still reads it
    // when another thread triggers a GC mid-call (docs/torchsharp-scalar-race.md; a parallel test run hit it here).
    // (linalg.vector_norm is avoided for the same reason: TorchSharp converts its order to a Scalar it does not root.)
    private static readonly Scalar SquaredNormFloor = NormEpsilon * NormEpsilon;

    /// <summary>Row-wise L2 normalisation, x / max(||x||, 1e-12) (PyTorch's <c>F.normalize</c>).</summary>
    public static Tensor Normalize(Tensor x) => nn.functional.normalize(x, p: 2, dim: -1, eps: NormEpsilon);

    /// <summary>
    /// 1 / max(||x||, 1e-12) per row, shape (N, 1): x̂ = x · this. Scaling a product by it instead of normalising the
    /// (larger) inputs gives the same cosines with less work forward and backward. Computed as
    /// rsqrt(max(Σx², 1e-24)): the floor is applied before the root, so a zero row gets a zero gradient, not 0/0.
    /// </summary>
    public static Tensor InverseNorm(Tensor x) => x.square().sum(-1, keepdim: true).clamp_min(SquaredNormFloor).rsqrt();

    /// <summary>Euclidean norm over the last dimension, √Σx² (no autograd use; rooted-Scalar-safe unlike vector_norm).</summary>
    public static Tensor RowNorm(Tensor x) => x.square().sum(-1).sqrt();

    /// <summary>
    /// log(1 + Σ_{mask} exp(logits)) along <paramref name="dim"/>, the masked logsumexp with an appended 0 logit
    /// (PML <c>logsumexp(add_one=True)</c>): an empty mask gives exactly 0 and nothing overflows. It is evaluated as
    /// m + log1p(Σ exp(x − m) + expm1(−m)) with m = max(0, max x) held constant, which keeps full relative precision
    /// when the result is tiny (float32 would otherwise round log(1 + 1e-8) to 0).
    /// </summary>
    public static Tensor LogOnePlusSumExp(Tensor logits, Tensor mask, long dim)
    {
        var masked = logits.masked_fill(mask.logical_not(), double.NegativeInfinity);
        var m = masked.detach().amax(new[] { dim }, keepdim: true).clamp_min(0);
        var inner = (masked - m).exp().sum(dim, keepdim: true) + m.neg().expm1();
        return (m + inner.log1p()).squeeze(dim);
    }

    /// <summary>softplus(z) = log(1 + e^z) computed exactly for every z (torch's softplus switches to z above 20).</summary>
    public static Tensor ExactSoftplus(Tensor z) => z.clamp_min(0) + z.abs().neg().exp().log1p();

    /// <summary>Boolean (N x C) mask with true at (i, labels[i]).</summary>
    public static Tensor OneHotMask(Tensor labels, long numClasses) =>
        labels.unsqueeze(1).eq(arange(numClasses, ScalarType.Int64, labels.device).unsqueeze(0));
}
