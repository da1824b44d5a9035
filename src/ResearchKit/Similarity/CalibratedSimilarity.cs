using ResearchKit.Internal;
using ResearchKit.Memory;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Similarity;

/// <summary>
/// The CP composite similarity (Eq. 2–3): an inner head's s^p plus the sample–global-center similarity s^g, for the
/// classes whose queue is used, i.e. the queue is active (epoch ≥ start epoch) and the class queue is non-empty.
/// Every other class keeps S = s^p (not halved in <see cref="CompositeMode.Mean"/>). The queue gets no gradient.
/// </summary>
public sealed class CalibratedSimilarity : ClassSimilarityHead
{
    // Submodules (registered): the inner head's proxies and the queue buffers appear in state_dict.
    private readonly ClassSimilarityHead inner;
    private readonly GlobalCenter center;

    /// <summary>Wraps <paramref name="inner"/> with the queue <paramref name="center"/>.</summary>
    /// <param name="inner">Any head producing s^p (N x C).</param>
    /// <param name="center">The global center; same C and D as the inner head.</param>
    /// <param name="startEpoch">E_s (0-based): the queue is used from this epoch on (default 12).</param>
    /// <param name="composite">Eq. 2 combination.</param>
    /// <param name="centerSimilarity">Eq. 3 form of s^g.</param>
    public CalibratedSimilarity(ClassSimilarityHead inner, GlobalCenter center, int startEpoch = 12,
        CompositeMode composite = CompositeMode.Sum, CenterSimilarityMode centerSimilarity = CenterSimilarityMode.MeanCos)
        : base(nameof(CalibratedSimilarity))
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.center = center ?? throw new ArgumentNullException(nameof(center));
        if (center.NumClasses != inner.NumClasses || center.EmbeddingSize != inner.EmbeddingSize)
            throw new ArgumentException(
                $"expected a queue with C = {inner.NumClasses}, D = {inner.EmbeddingSize} (the inner head's) but got C = {center.NumClasses}, D = {center.EmbeddingSize}",
                nameof(center));
        if (startEpoch < 0) throw new ArgumentOutOfRangeException(nameof(startEpoch), startEpoch, "expected an epoch >= 0");
        StartEpoch = startEpoch;
        Composite = Guard.Defined(composite, nameof(composite));
        CenterSimilarity = Guard.Defined(centerSimilarity, nameof(centerSimilarity));
        RegisterComponents();
    }

    /// <summary>The head that produces s^p.</summary>
    public ClassSimilarityHead Inner => inner;

    /// <summary>The global center.</summary>
    public GlobalCenter Center => center;

    /// <summary>E_s, the first epoch (0-based) in which the queue is used.</summary>
    public int StartEpoch { get; }

    /// <summary>Eq. 2 combination.</summary>
    public CompositeMode Composite { get; }

    /// <summary>Eq. 3 form of s^g.</summary>
    public CenterSimilarityMode CenterSimilarity { get; }

    /// <summary>The current epoch, used by <see cref="forward"/> (set it from the training loop).</summary>
    public int Epoch { get; set; }

    /// <summary>Whether the queue is used in <paramref name="epoch"/> (epoch ≥ start epoch).</summary>
    public bool IsActive(int epoch) => epoch >= StartEpoch;

    /// <inheritdoc/>
    public override int NumClasses => inner.NumClasses;

    /// <inheritdoc/>
    public override int EmbeddingSize => inner.EmbeddingSize;

    /// <inheritdoc/>
    public override IEnumerable<Parameter> ProxyParameters() => inner.ProxyParameters();

    /// <summary>S (N x C) at the current <see cref="Epoch"/>.</summary>
    public override Tensor forward(Tensor embeddings) => Compute(embeddings, Epoch).Composite;

    /// <summary>S together with its pieces, at <paramref name="epoch"/>.</summary>
    public CalibratedSimilarityOutput Compute(Tensor embeddings, int epoch)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (inner is ProxySimilarity proxyHead)
        {
            proxyHead.CheckEmbeddings(embeddings, nameof(embeddings));
            Guard.SameDevice(embeddings, center.Entries, nameof(embeddings), "the queue");
            return ComputeChecked(embeddings, TensorMath.InverseNorm(embeddings), epoch);
        }
        Guard.SameDevice(embeddings, center.Entries, nameof(embeddings), "the queue");
        return ComputeChecked(embeddings, null, epoch);
    }

    /// <summary>
    /// <see cref="Compute"/> on validated embeddings; <paramref name="inverseNorm"/> (1/||x|| per row) is reused when given,
    /// so a training step computes it once.
    /// </summary>
    internal CalibratedSimilarityOutput ComputeChecked(Tensor embeddings, Tensor? inverseNorm, int epoch)
    {
        var sp = inverseNorm is not null && inner is ProxySimilarity proxyHead
            ? proxyHead.FromEmbeddings(embeddings, inverseNorm)
            : inner.call(embeddings);   // any other head validates its own input
        if (!IsActive(epoch))
            return new CalibratedSimilarityOutput(sp, sp, null, zeros(NumClasses, ScalarType.Bool, sp.device), false, null);

        var means = center.Means();
        var used = center.NonEmpty();
        var sg = CenterSimilarityFromMeans(embeddings, inverseNorm ?? TensorMath.InverseNorm(embeddings), means);
        var composite = Composite switch
        {
            // Empty classes have ḡ = 0, hence s^g = 0: the sum needs no mask.
            CompositeMode.Sum => sp + sg,
            _ => where(used.unsqueeze(0), (sp + sg) / 2, sp),
        };
        return new CalibratedSimilarityOutput(composite, sp, sg, used, true, means);
    }

    /// <summary>
    /// s^g (N x C) from the current queue state, whether or not the queue is active: the mean cosine to each class's
    /// entries (or the cosine to their mean); 0 for an empty class. For logging and analysis.
    /// </summary>
    public Tensor CenterSimilarityOf(Tensor embeddings)
    {
        Guard.SameDevice(embeddings, center.Entries, nameof(embeddings), "the queue");
        Guard.Embeddings(embeddings, nameof(embeddings), EmbeddingSize);
        Guard.SameDtype(embeddings, center.Entries, nameof(embeddings), "the queue");
        return CenterSimilarityFromMeans(embeddings, TensorMath.InverseNorm(embeddings), center.Means());
    }

    private Tensor CenterSimilarityFromMeans(Tensor embeddings, Tensor inverseNorm, Tensor means)
    {
        var g = CenterSimilarity == CenterSimilarityMode.MeanCos ? means : TensorMath.Normalize(means);
        return embeddings.matmul(g.detach().t()) * inverseNorm;   // x̂ ḡᵀ
    }
}

/// <summary>The composite similarity and its pieces (for the loss and for logging).</summary>
/// <param name="Composite">S (N x C), Eq. 2.</param>
/// <param name="ProxySimilarity">s^p (N x C), Eq. 5.</param>
/// <param name="CenterSimilarity">s^g (N x C), Eq. 3, when the queue is active; null otherwise.</param>
/// <param name="CenterUsed">(C, bool): S includes s^g for this class (active and non-empty).</param>
/// <param name="QueueActive">Whether the epoch is at or past the start epoch.</param>
/// <param name="QueueMeans">The per-class queue means used (C x D) when active; null otherwise.</param>
public sealed record CalibratedSimilarityOutput(
    Tensor Composite, Tensor ProxySimilarity, Tensor? CenterSimilarity, Tensor CenterUsed, bool QueueActive, Tensor? QueueMeans);
