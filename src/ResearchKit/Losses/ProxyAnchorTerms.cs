using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// The Proxy Anchor reduction shared by <see cref="ProxyAnchorLoss"/> and <see cref="SmoothProxyAnchorLoss"/>
/// (losses.md §1.3): per class c, pos_c = log(1 + Σ_{i∈P_c} w⁺_ic e^{−α(S_ic − δ)}) and
/// neg_c = log(1 + Σ_{i∉P_c} w⁻_ic e^{α(S_ic + δ)}), the positive half divided by the classes with a positive, the
/// negative half by C. Weights enter as log-weights inside the masked logsumexp, so nothing overflows.
/// </summary>
internal static class ProxyAnchorTerms
{
    /// <summary>The loss and its parts for a positive mask (N x C) and optional log-weights (N x C).</summary>
    public static LossOutput Compute(Tensor similarity, Tensor positive, double alpha, double margin,
        Tensor? positiveLogWeight = null, Tensor? negativeLogWeight = null, IEnumerable<KeyValuePair<string, Tensor>>? extraDiagnostics = null)
    {
        long c = similarity.shape[1];
        var posLogits = (similarity - margin) * -alpha;
        var negLogits = (similarity + margin) * alpha;
        if (positiveLogWeight is not null) posLogits = posLogits + positiveLogWeight;
        if (negativeLogWeight is not null) negLogits = negLogits + negativeLogWeight;
        var posPerClass = TensorMath.LogOnePlusSumExp(posLogits, positive, 0);
        var negPerClass = TensorMath.LogOnePlusSumExp(negLogits, positive.logical_not(), 0);
        var withPositive = positive.any(0).sum();
        // No class with a positive (possible only with confidence-selected positives): the positive half is 0.
        var posTerm = posPerClass.sum() / withPositive.clamp_min(1);
        var negTerm = negPerClass.sum() / c;
        var diagnostics = new List<KeyValuePair<string, Tensor>>
        {
            new(LossDiagnostics.PositivePerClass, posPerClass.detach()),
            new(LossDiagnostics.NegativePerClass, negPerClass.detach()),
            new(LossDiagnostics.PositiveDivisor, withPositive),
            new(LossDiagnostics.NegativeDivisor, tensor(c)),
        };
        if (extraDiagnostics is not null) diagnostics.AddRange(extraDiagnostics);
        return new LossOutput(posTerm + negTerm,
            new KeyValuePair<string, Tensor>[] { new(LossParts.ProxyPositive, posTerm), new(LossParts.ProxyNegative, negTerm) },
            diagnostics);
    }
}
