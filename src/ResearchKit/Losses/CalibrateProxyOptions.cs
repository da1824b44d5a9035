using ResearchKit.Internal;
using ResearchKit.Similarity;

namespace ResearchKit.Losses;

/// <summary>Eq. 4 divisor (switch <c>cal_reduction</c>).</summary>
public enum CalibrationReduction
{
    /// <summary>Sum of squared differences / (pairs · D), what <c>torch.nn.MSELoss()</c> gives (primary).</summary>
    ElementMean,
    /// <summary>Sum of squared differences / pairs (D times larger).</summary>
    VectorMean,
}

/// <summary>Eq. 4 proxy form (switch <c>cal_normalize_proxy</c>).</summary>
public enum CalibrationProxyForm
{
    /// <summary>Normalised proxies p̂ against the (normalised) entries (primary).</summary>
    Normalized,
    /// <summary>Raw proxies p.</summary>
    Raw,
}

/// <summary>Eq. 4 classes (switch <c>cal_classes</c>).</summary>
public enum CalibrationClasses
{
    /// <summary>Every class with a non-empty queue (primary).</summary>
    AllNonEmpty,
    /// <summary>Only the non-empty classes that also occur in the batch.</summary>
    Batch,
}

/// <summary>Eq. 4 with K &gt; 1 proxies per class (switch <c>cal_multi_proxy</c>).</summary>
public enum MultiProxyCalibration
{
    /// <summary>Every one of the K proxies against every entry of its class (primary).</summary>
    AllPairs,
    /// <summary>Each entry g against Σ_k softmax_k(g · p̂_ck / T) p_ck.</summary>
    Weighted,
    /// <summary>Each entry against the proxy with the largest g · p̂_ck (the first on ties).</summary>
    Nearest,
}

/// <summary>When the batch enters the queue within a step (switch <c>enqueue_order</c>).</summary>
public enum EnqueueOrder
{
    /// <summary>The loss sees the queue before this batch; the batch is enqueued afterwards (primary).</summary>
    AfterLoss,
    /// <summary>The batch is enqueued first and the loss sees it (the XBM order).</summary>
    BeforeLoss,
}

/// <summary>
/// The Calibrate Proxy structure's settings (arXiv 2304.09162; losses.md §5, switches of §5.14), with the paper's values
/// and the primary reconstruction as defaults: λ = 1, E_s = 12, M = 30, K = 3, T = 1.
/// </summary>
public sealed record CalibrateProxyOptions
{
    /// <summary>λ, weight of L_cal (Eq. 6; ≥ 0).</summary>
    public double Lambda { get; init; } = 1;
    /// <summary>E_s, the first 0-based epoch that uses the queue.</summary>
    public int StartEpoch { get; init; } = 12;
    /// <summary>M, queue capacity per class.</summary>
    public int QueuePerClass { get; init; } = 30;
    /// <summary>K, proxies per class.</summary>
    public int ProxiesPerClass { get; init; } = 3;
    /// <summary>T of Eq. 5 (switch <c>mp_temperature</c>: 1 primary, 0.1 alternative; SoftTriple uses its γ).</summary>
    public double Temperature { get; init; } = 1;
    /// <summary>Eq. 2.</summary>
    public CompositeMode Composite { get; init; } = CompositeMode.Sum;
    /// <summary>Eq. 3.</summary>
    public CenterSimilarityMode CenterSimilarity { get; init; } = CenterSimilarityMode.MeanCos;
    /// <summary>β in S = s^p + β·s^g (not in the paper, whose Eq. 2 has β = 1, primary; ≥ 0). A small β keeps s^g from
    /// swamping s^p when s^g is large for every class.</summary>
    public double CenterWeight { get; init; } = 1;
    /// <summary>Which classes of a sample get s^g (all used classes, primary; or the sample's own class only).</summary>
    public CenterClasses CenterClasses { get; init; } = CenterClasses.All;
    /// <summary>Eq. 4 divisor.</summary>
    public CalibrationReduction CalibrationReduction { get; init; } = CalibrationReduction.ElementMean;
    /// <summary>Eq. 4 proxy form.</summary>
    public CalibrationProxyForm CalibrationProxies { get; init; } = CalibrationProxyForm.Normalized;
    /// <summary>Eq. 4 classes.</summary>
    public CalibrationClasses CalibrationClasses { get; init; } = CalibrationClasses.AllNonEmpty;
    /// <summary>Eq. 4 with K &gt; 1.</summary>
    public MultiProxyCalibration MultiProxyCalibration { get; init; } = MultiProxyCalibration.AllPairs;
    /// <summary>Queue timing within a step.</summary>
    public EnqueueOrder EnqueueOrder { get; init; } = EnqueueOrder.AfterLoss;

    /// <summary>Checks every field; the <see cref="ArgumentException"/> names the first bad one (its property name).</summary>
    /// <returns>These options, for chaining.</returns>
    public CalibrateProxyOptions Validate()
    {
        Guard.NonNegative(Lambda, nameof(CalibrateProxyOptions.Lambda));
        if (StartEpoch < 0)
            throw new ArgumentOutOfRangeException(nameof(CalibrateProxyOptions.StartEpoch), StartEpoch, "expected an epoch >= 0");
        Guard.AtLeastOne(QueuePerClass, nameof(CalibrateProxyOptions.QueuePerClass));
        Guard.AtLeastOne(ProxiesPerClass, nameof(CalibrateProxyOptions.ProxiesPerClass));
        Guard.Positive(Temperature, nameof(CalibrateProxyOptions.Temperature));
        Guard.Defined(Composite, nameof(CalibrateProxyOptions.Composite));
        Guard.Defined(CenterSimilarity, nameof(CalibrateProxyOptions.CenterSimilarity));
        Guard.NonNegative(CenterWeight, nameof(CalibrateProxyOptions.CenterWeight));
        Guard.Defined(CenterClasses, nameof(CalibrateProxyOptions.CenterClasses));
        Guard.Defined(CalibrationReduction, nameof(CalibrateProxyOptions.CalibrationReduction));
        Guard.Defined(CalibrationProxies, nameof(CalibrateProxyOptions.CalibrationProxies));
        Guard.Defined(CalibrationClasses, nameof(CalibrateProxyOptions.CalibrationClasses));
        Guard.Defined(MultiProxyCalibration, nameof(CalibrateProxyOptions.MultiProxyCalibration));
        Guard.Defined(EnqueueOrder, nameof(CalibrateProxyOptions.EnqueueOrder));
        return this;
    }
}
