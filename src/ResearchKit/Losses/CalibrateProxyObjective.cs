using ResearchKit.Internal;
using ResearchKit.Memory;
using ResearchKit.Similarity;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// The Calibrate Proxy objective (arXiv 2304.09162, Eq. 2–7; reconstruction of losses.md §5):
/// L = L_cp + λ·L_cal, where L_cp is any <see cref="IClassSimilarityLoss"/> on the composite S = s^p + s^g (plus an optional
/// weighted proxy regulariser) and L_cal is the <see cref="CalibrationLoss"/>. The queue is filled every step (after the loss
/// by default) and used from the start epoch on. The base loss never sees the queue, so any proxy loss plugs in.
/// Parts: the base loss's parts, <see cref="LossParts.Regularizer"/> (unweighted, when defined),
/// <see cref="LossParts.ClassLoss"/> (L_cp) and <see cref="LossParts.Calibration"/> (L_cal, unweighted).
/// </summary>
public sealed class CalibrateProxyObjective : ProxyObjectiveModule
{
    // One submodule holds the proxies (similarity.inner) and the queue (similarity.center).
    private readonly CalibratedSimilarity similarity;
    private readonly IClassSimilarityLoss baseLoss;
    private readonly IProxyRegularizer? regularizer;
    private readonly CalibrationLoss calibration;

    /// <summary>Builds the objective around an existing head; the queue is created on the head's device and dtype.</summary>
    /// <param name="head">The proxy head; its K and T must equal <see cref="CalibrateProxyOptions.ProxiesPerClass"/> and
    /// <see cref="CalibrateProxyOptions.Temperature"/>.</param>
    /// <param name="baseLoss">L_cp's loss on S (Proxy Anchor, Proxy-NCA, SoftTriple, ...).</param>
    /// <param name="options">CP settings (defaults: the paper's).</param>
    /// <param name="regularizer">Optional proxy regulariser in L_cp (SoftTriple's τ term).</param>
    public CalibrateProxyObjective(ProxySimilarity head, IClassSimilarityLoss baseLoss, CalibrateProxyOptions? options = null,
        IProxyRegularizer? regularizer = null)
        : base(nameof(CalibrateProxyObjective))
    {
        ArgumentNullException.ThrowIfNull(head);
        this.baseLoss = baseLoss ?? throw new ArgumentNullException(nameof(baseLoss));
        Options = (options ?? new CalibrateProxyOptions()).Validate();
        if (head.ProxiesPerClass != Options.ProxiesPerClass || head.Temperature != Options.Temperature)
            throw new ArgumentException(
                $"expected a head with K = {Options.ProxiesPerClass}, T = {Options.Temperature} (the options) but got K = {head.ProxiesPerClass}, T = {head.Temperature}",
                nameof(head));
        var proxies = head.Proxies;
        var center = new GlobalCenter(head.NumClasses, Options.QueuePerClass, head.EmbeddingSize, proxies.dtype, proxies.device);
        similarity = new CalibratedSimilarity(head, center, Options.StartEpoch, Options.Composite, Options.CenterSimilarity,
            Options.CenterWeight, Options.CenterClasses);
        this.regularizer = regularizer;
        calibration = CalibrationLoss.From(Options);
        RegisterComponents();
    }

    /// <summary>Builds the objective with fresh proxies ((C·K) x D, K and T from the options).</summary>
    public static CalibrateProxyObjective Create(int numClasses, int embeddingSize, IClassSimilarityLoss baseLoss,
        CalibrateProxyOptions? options = null, ProxyInit init = ProxyInit.KaimingNormalFanOut, IProxyRegularizer? regularizer = null,
        ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
    {
        options = (options ?? new CalibrateProxyOptions()).Validate();
        var head = new ProxySimilarity(numClasses, embeddingSize, options.ProxiesPerClass, options.Temperature, init, dtype, device, generator);
        return new CalibrateProxyObjective(head, baseLoss, options, regularizer);
    }

    /// <summary>The settings.</summary>
    public CalibrateProxyOptions Options { get; }

    /// <inheritdoc/>
    public override ProxySimilarity Head => similarity.Inner;

    /// <summary>The composite similarity head (s^p + s^g).</summary>
    public CalibratedSimilarity Similarity => similarity;

    /// <summary>The global center.</summary>
    public GlobalCenter Center => similarity.Center;

    /// <summary>The base loss on S.</summary>
    public IClassSimilarityLoss BaseLoss => baseLoss;

    /// <summary>The calibration loss.</summary>
    public CalibrationLoss Calibration => calibration;

    /// <summary>The loss of a training step (<see cref="Step"/>'s <see cref="CalibrateProxyOutput.Loss"/>; the queue is updated).</summary>
    public override LossOutput forward(Tensor embeddings, Tensor labels, ObjectiveStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return Step(embeddings, labels, step.Epoch, step.Confidences).Loss;
    }

    /// <summary>
    /// One CP step: the loss with every piece, and the queue update (before or after the loss, per the options).
    /// Call it inside the training step's dispose scope; back-propagate <c>Loss.Total</c>.
    /// </summary>
    /// <param name="embeddings">Raw embeddings (N x D), on the proxies' device and dtype.</param>
    /// <param name="labels">N class indices in [0, C).</param>
    /// <param name="epoch">0-based epoch; the queue is used iff epoch ≥ start epoch.</param>
    /// <param name="confidences">Optional N x C confidences for an <see cref="IConfidenceWeightedLoss"/> base loss.</param>
    public CalibrateProxyOutput Step(Tensor embeddings, Tensor labels, int epoch, Tensor? confidences = null)
    {
        var head = Head;
        head.CheckEmbeddings(embeddings, nameof(embeddings));
        ArgumentNullException.ThrowIfNull(labels);
        Guard.SameDevice(labels, head.Proxies, nameof(labels), "the proxies");
        var y = Guard.Labels(labels, embeddings.shape[0], head.NumClasses, nameof(labels));
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "expected an epoch >= 0");

        Guard.SameDevice(embeddings, Center.Entries, nameof(embeddings), "the queue");
        var inverseNorm = TensorMath.InverseNorm(embeddings);   // once: s^p, s^g and the queue share 1/||x||
        Tensor Normalized() => embeddings.detach() * inverseNorm.detach();

        if (Options.EnqueueOrder == EnqueueOrder.BeforeLoss) Center.EnqueueNormalized(Normalized(), y);
        var queueCounts = Center.Counts.clone();
        var sim = similarity.ComputeChecked(embeddings, inverseNorm, epoch, y);
        var baseOut = ObjectiveParts.Base(baseLoss, sim.Composite, y, confidences);

        var parts = baseOut.PartList.ToList();
        var classLoss = ObjectiveParts.AddRegularizer(baseOut.Total, regularizer, head, parts);
        parts.Add(new(LossParts.ClassLoss, classLoss));

        var cal = sim.QueueActive
            ? calibration.Compute(head, Center, y, sim.QueueMeans)
            : new CalibrationOutput(zeros(Array.Empty<long>(), classLoss.dtype, classLoss.device), 0,
                zeros(head.NumClasses, ScalarType.Bool, classLoss.device));
        parts.Add(new(LossParts.Calibration, cal.Loss));
        var total = Options.Lambda > 0 && cal.NumPairs > 0 ? classLoss + Options.Lambda * cal.Loss : classLoss;

        if (Options.EnqueueOrder == EnqueueOrder.AfterLoss) Center.EnqueueNormalized(Normalized(), y);
        return new CalibrateProxyOutput(new LossOutput(total, parts, baseOut.Diagnostics.ToList()), baseOut, sim, cal, queueCounts);
    }
}

/// <summary>Everything one CP step computed.</summary>
/// <param name="Loss">L = L_cp + λ·L_cal with its parts (back-propagate <c>Loss.Total</c>).</param>
/// <param name="BaseLoss">The base loss on S alone (without regulariser).</param>
/// <param name="Similarity">S, s^p, s^g and the used-class mask.</param>
/// <param name="Calibration">L_cal, its pair count and classes.</param>
/// <param name="QueueCounts">Per-class queue counts the loss saw (C, int64).</param>
public sealed record CalibrateProxyOutput(
    LossOutput Loss, LossOutput BaseLoss, CalibratedSimilarityOutput Similarity, CalibrationOutput Calibration, Tensor QueueCounts);
