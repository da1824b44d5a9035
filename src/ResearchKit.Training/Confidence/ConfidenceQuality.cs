using static TorchSharp.torch;

namespace ResearchKit.Training.Confidence;

/// <summary>
/// How well confidences undo label noise, split into flipped samples (noisy label ≠ true label) and clean ones.
/// Fractions of an empty group are NaN.
/// </summary>
/// <param name="Flipped">Samples whose label was flipped.</param>
/// <param name="Clean">Samples whose label is the true one.</param>
/// <param name="FlippedTrueIsTop">Fraction of flipped samples whose true class has the highest confidence.</param>
/// <param name="FlippedTrueAboveNoisy">Fraction of flipped samples whose true class is more confident than their noisy label.</param>
/// <param name="FlippedNoisyConfidence">Mean confidence of flipped samples in their noisy label.</param>
/// <param name="CleanLabelIsTop">Fraction of clean samples whose label has the highest confidence.</param>
/// <param name="CleanLabelConfidence">Mean confidence of clean samples in their label.</param>
public sealed record ConfidenceQuality(long Flipped, long Clean, double FlippedTrueIsTop, double FlippedTrueAboveNoisy,
    double FlippedNoisyConfidence, double CleanLabelIsTop, double CleanLabelConfidence)
{
    /// <summary>Metric names as the trainer logs them.</summary>
    public static class Names
    {
        /// <summary><see cref="FlippedTrueIsTop"/>.</summary>
        public const string FlippedTrueIsTop = "confidence_flipped_true_top1";
        /// <summary><see cref="FlippedTrueAboveNoisy"/>.</summary>
        public const string FlippedTrueAboveNoisy = "confidence_flipped_true_above_noisy";
        /// <summary><see cref="CleanLabelConfidence"/>.</summary>
        public const string CleanLabelConfidence = "confidence_clean_label_mean";
    }

    /// <summary>Measures <paramref name="confidences"/> (N x C) against noisy and true labels (N each, int64).</summary>
    /// <exception cref="ArgumentException">Shapes disagree or labels are out of [0, C).</exception>
    public static ConfidenceQuality Measure(Tensor confidences, Tensor noisyLabels, Tensor trueLabels)
    {
        ArgumentNullException.ThrowIfNull(confidences);
        if (confidences.dim() != 2)
            throw new ArgumentException($"expected confidences of shape [N, C] but got [{string.Join(", ", confidences.shape)}]", nameof(confidences));
        using var scope = NewDisposeScope();
        int c = (int)confidences.shape[1];
        var noisy = ConfidenceTrainer.CheckInputs(confidences, noisyLabels, c);
        var truth = ConfidenceTrainer.CheckInputs(confidences, trueLabels, c);
        var flipped = noisy.ne(truth);
        var clean = flipped.logical_not();
        var top = confidences.argmax(1);
        var onTrue = confidences.gather(1, truth.unsqueeze(1)).squeeze(1);
        var onNoisy = confidences.gather(1, noisy.unsqueeze(1)).squeeze(1);
        long nf = flipped.sum().item<long>(), nc = clean.sum().item<long>();
        double Fraction(Tensor hit, Tensor group, long count) => count == 0 ? double.NaN : hit.logical_and(group).sum().item<long>() / (double)count;
        double Mean(Tensor v, Tensor group, long count) => count == 0 ? double.NaN : v.masked_select(group).to(ScalarType.Float64).mean().item<double>();
        return new ConfidenceQuality(nf, nc,
            Fraction(top.eq(truth), flipped, nf), Fraction(onTrue.gt(onNoisy), flipped, nf), Mean(onNoisy, flipped, nf),
            Fraction(top.eq(noisy), clean, nc), Mean(onNoisy, clean, nc));
    }
}
