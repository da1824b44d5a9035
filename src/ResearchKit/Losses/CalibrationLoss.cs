using ResearchKit.Internal;
using ResearchKit.Memory;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// CP calibration loss (Eq. 4, reconstruction of losses.md §5.6): the mean squared difference between each class's proxies
/// and the stored entries of that class, over the classes with a non-empty queue (optionally only those in the batch).
/// Only the proxies receive gradient. All-pairs never materialises C x K x M x D: it uses
/// Σ_m ||p − g_m||² = n·||p − ḡ||² + Σ_m ||g_m − ḡ||², the norm identity in the form that keeps the gradient term free of
/// cancellation; the second term is a per-class constant from <see cref="GlobalCenter.SquaredDeviationSums()"/>.
/// </summary>
public sealed class CalibrationLoss
{
    /// <summary>Creates the loss with the given switches (primary values by default).</summary>
    public CalibrationLoss(CalibrationReduction reduction = CalibrationReduction.ElementMean,
        CalibrationProxyForm proxyForm = CalibrationProxyForm.Normalized,
        CalibrationClasses classes = CalibrationClasses.AllNonEmpty,
        MultiProxyCalibration multiProxy = MultiProxyCalibration.AllPairs)
    {
        Reduction = Guard.Defined(reduction, nameof(reduction));
        ProxyForm = Guard.Defined(proxyForm, nameof(proxyForm));
        Classes = Guard.Defined(classes, nameof(classes));
        MultiProxy = Guard.Defined(multiProxy, nameof(multiProxy));
    }

    /// <summary>Creates the loss from the CP options.</summary>
    public static CalibrationLoss From(CalibrateProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.CalibrationReduction, options.CalibrationProxies, options.CalibrationClasses, options.MultiProxyCalibration);
    }

    /// <summary>Eq. 4 divisor.</summary>
    public CalibrationReduction Reduction { get; }
    /// <summary>Normalised or raw proxies.</summary>
    public CalibrationProxyForm ProxyForm { get; }
    /// <summary>Which classes enter.</summary>
    public CalibrationClasses Classes { get; }
    /// <summary>Multi-proxy treatment.</summary>
    public MultiProxyCalibration MultiProxy { get; }

    /// <summary>L_cal of the head's proxies against the queue.</summary>
    /// <param name="head">The proxy head (its proxies, K and T).</param>
    /// <param name="center">The global center (same C, D, device, dtype).</param>
    /// <param name="batchLabels">The batch labels; needed for <see cref="CalibrationClasses.Batch"/>.</param>
    /// <param name="means">Optionally, <see cref="GlobalCenter.Means"/> already computed for this step.</param>
    public CalibrationOutput Compute(ProxySimilarity head, GlobalCenter center, Tensor? batchLabels = null, Tensor? means = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(center);
        if (center.NumClasses != head.NumClasses || center.EmbeddingSize != head.EmbeddingSize)
            throw new ArgumentException($"expected a queue with C = {head.NumClasses}, D = {head.EmbeddingSize}", nameof(center));
        var proxies = head.Proxies;
        Guard.SameDevice(center.Entries, proxies, nameof(center), "the proxies");
        Guard.SameDtype(center.Entries, proxies, nameof(center), "the proxies");
        long c = head.NumClasses, k = head.ProxiesPerClass, d = head.EmbeddingSize;

        var used = center.NonEmpty();
        if (Classes == CalibrationClasses.Batch)
        {
            if (batchLabels is null)
                throw new ArgumentException("expected the batch labels when the calibration uses the batch classes", nameof(batchLabels));
            Guard.SameDevice(batchLabels, proxies, nameof(batchLabels), "the proxies");
            var y = Guard.Labels(batchLabels, batchLabels.shape[0], c, nameof(batchLabels));
            var inBatch = zeros(c, ScalarType.Bool, proxies.device).index_fill_(0, y, true);
            used = used.logical_and(inBatch);
        }
        var n = center.Counts.masked_fill(used.logical_not(), 0);
        long entryCount = n.sum().item<long>();
        long pairs = MultiProxy == MultiProxyCalibration.AllPairs ? k * entryCount : entryCount;
        if (pairs == 0)
            return new CalibrationOutput(zeros(Array.Empty<long>(), proxies.dtype, proxies.device), 0, used);

        var pHat = TensorMath.Normalize(proxies).view(c, k, d);
        var p = ProxyForm == CalibrationProxyForm.Normalized ? pHat : proxies.view(c, k, d);
        var nf = n.to_type(proxies.dtype);
        Tensor sumSquares;
        if (MultiProxy == MultiProxyCalibration.AllPairs)
        {
            var g = (means ?? center.Means()).detach();
            var spread = center.SquaredDeviationSums();
            var toMean = (p - g.unsqueeze(1)).square().sum(new long[] { 1, 2 });   // Σ_k ||p_ck − ḡ_c||²
            sumSquares = (nf * toMean).sum() + k * spread.masked_fill(used.logical_not(), 0).sum();
        }
        else
        {
            var entries = center.Entries.detach().clone();   // a copy: an enqueue before backward must not change what autograd saved
            var valid = arange(center.Capacity, ScalarType.Int64, proxies.device).unsqueeze(0).lt(n.unsqueeze(1));
            var scores = entries.bmm(pHat.transpose(1, 2));   // (C, M, K): g · p̂_ck
            Tensor target;
            if (MultiProxy == MultiProxyCalibration.Weighted)
                target = (scores / head.Temperature).softmax(-1).bmm(p);
            else
            {
                var nearest = scores.argmax(-1, keepdim: true);   // first maximum on ties
                target = p.gather(1, nearest.expand(c, center.Capacity, d));
            }
            var perEntry = (target - entries).square().sum(-1);
            sumSquares = perEntry.masked_fill(valid.logical_not(), 0).sum();
        }
        double divisor = Reduction == CalibrationReduction.ElementMean ? pairs * (double)d : pairs;
        return new CalibrationOutput(sumSquares / divisor, pairs, used);
    }
}

/// <summary>The calibration loss and what entered it.</summary>
/// <param name="Loss">L_cal (scalar; gradient to the proxies only).</param>
/// <param name="NumPairs">Compared (proxy vector, entry) pairs; 0 gives L_cal = 0.</param>
/// <param name="ClassesUsed">(C, bool) the classes that entered.</param>
public sealed record CalibrationOutput(Tensor Loss, long NumPairs, Tensor ClassesUsed);
