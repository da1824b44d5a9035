using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// A loss value with its named parts, like pytorch-metric-learning's loss dictionaries. <see cref="Total"/> carries the
/// autograd graph; <see cref="Parts"/> are the scalar terms, unweighted, in the order they were added (each loss documents how
/// they combine into the total); <see cref="Diagnostics"/> are detached per-class or per-sample tensors for inspection.
/// </summary>
public sealed class LossOutput
{
    /// <summary>Creates the output.</summary>
    public LossOutput(Tensor total, IReadOnlyList<KeyValuePair<string, Tensor>> parts,
        IReadOnlyList<KeyValuePair<string, Tensor>>? diagnostics = null)
    {
        Total = total ?? throw new ArgumentNullException(nameof(total));
        ArgumentNullException.ThrowIfNull(parts);
        PartList = parts;
        Parts = parts.ToDictionary(p => p.Key, p => p.Value);
        Diagnostics = (diagnostics ?? Array.Empty<KeyValuePair<string, Tensor>>()).ToDictionary(p => p.Key, p => p.Value);
    }

    /// <summary>The scalar loss to back-propagate.</summary>
    public Tensor Total { get; }

    /// <summary>Named scalar terms (see <see cref="LossParts"/>).</summary>
    public IReadOnlyDictionary<string, Tensor> Parts { get; }

    /// <summary>The parts in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> PartList { get; }

    /// <summary>Detached per-class / per-sample tensors (see <see cref="LossDiagnostics"/>).</summary>
    public IReadOnlyDictionary<string, Tensor> Diagnostics { get; }

    /// <summary>The total as a double (synchronises with the device).</summary>
    public double TotalValue => Total.to_type(ScalarType.Float64).item<double>();

    /// <summary>Every part as a double, in insertion order, for logging.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> PartValues() =>
        PartList.Select(p => new KeyValuePair<string, double>(p.Key, p.Value.detach().to_type(ScalarType.Float64).item<double>())).ToList();
}

/// <summary>Names of loss parts shared by every loss.</summary>
public static class LossParts
{
    /// <summary>Proxy Anchor positive half: Σ_c pos_c / |P⁺|.</summary>
    public const string ProxyPositive = "proxy_positive";
    /// <summary>Proxy Anchor negative half: Σ_c neg_c / C.</summary>
    public const string ProxyNegative = "proxy_negative";
    /// <summary>Mean (softmax) cross-entropy over the classes (Proxy-NCA, SoftTriple).</summary>
    public const string CrossEntropy = "cross_entropy";
    /// <summary>A proxy regulariser, unweighted (e.g. SoftTriple's R).</summary>
    public const string Regularizer = "regularizer";
    /// <summary>The class-similarity loss L_cp including a weighted regulariser.</summary>
    public const string ClassLoss = "class_loss";
    /// <summary>CP calibration loss L_cal (Eq. 4), unweighted; 0 while the queue is inactive.</summary>
    public const string Calibration = "calibration";
}

/// <summary>Names of diagnostics.</summary>
public static class LossDiagnostics
{
    /// <summary>(C) pos_c before division.</summary>
    public const string PositivePerClass = "pos_per_class";
    /// <summary>(C) neg_c before division.</summary>
    public const string NegativePerClass = "neg_per_class";
    /// <summary>Scalar (int64): the divisor of the positive half.</summary>
    public const string PositiveDivisor = "pos_divisor";
    /// <summary>Scalar (int64): the divisor of the negative half.</summary>
    public const string NegativeDivisor = "neg_divisor";
    /// <summary>(N) per-sample loss before the mean.</summary>
    public const string PerSampleLoss = "per_sample_loss";
    /// <summary>(N x C, bool) positives of each proxy (Smooth Proxy-Anchor).</summary>
    public const string PositiveMask = "positive_mask";
    /// <summary>(N x C) the confidence weights σ (Smooth Proxy-Anchor).</summary>
    public const string Sigma = "sigma";
}
