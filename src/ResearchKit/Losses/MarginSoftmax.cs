using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// Softmax cross-entropy over scaled similarities with an additive margin on the target, the core of the
/// classification-style proxy losses (SoftTriple, Normalized Softmax, CosFace): logits l = s·(S − m·onehot(y)),
/// loss_i = log(1 + Σ_{c≠y_i} e^{l_ic − l_iy}) = CE(l_i, y_i). The log1p form keeps tiny losses precise in float32.
/// Scale and margin enter as rooted Scalars (docs/torchsharp-scalar-race.md).
/// </summary>
internal static class MarginSoftmax
{
    /// <summary>The loss as a <see cref="LossOutput"/>: part <see cref="LossParts.CrossEntropy"/> = total, diagnostic
    /// <see cref="LossDiagnostics.PerSampleLoss"/>.</summary>
    public static LossOutput Output(Tensor similarity, Tensor labels, double scale, double margin)
    {
        var (loss, perSample) = Compute(similarity, labels, scale, margin);
        return new LossOutput(loss, [new(LossParts.CrossEntropy, loss)], [new(LossDiagnostics.PerSampleLoss, perSample.detach())]);
    }

    /// <summary>The mean loss and the per-sample losses (N).</summary>
    /// <param name="similarity">S, N x C (validated).</param>
    /// <param name="labels">int64 labels (validated).</param>
    /// <param name="scale">s &gt; 0.</param>
    /// <param name="margin">m, subtracted from the target similarity before scaling (0 = plain softmax).</param>
    public static (Tensor Loss, Tensor PerSample) Compute(Tensor similarity, Tensor labels, double scale, double margin)
    {
        var positive = TensorMath.OneHotMask(labels, similarity.shape[1]);
        using var s = scale.ToScalar();
        Tensor logits;
        if (margin == 0) logits = similarity.mul(s);
        else
        {
            using var m = margin.ToScalar();
            logits = similarity.sub(positive.to_type(similarity.dtype).mul(m)).mul(s);
        }
        var relative = logits - logits.gather(1, labels.unsqueeze(1));
        var perSample = TensorMath.LogOnePlusSumExp(relative, positive.logical_not(), 1);
        return (perSample.mean(), perSample);
    }
}
