using ResearchKit.Internal;
using ResearchKit.Memory;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Similarity;

/// <summary>
/// The CP composite similarity (Eq. 2–3): a proxy head's s^p (Eq. 5) plus the sample–global-center similarity s^g, for the
/// classes whose queue is used, i.e. the queue is active (epoch ≥ start epoch) and the class queue is non-empty.
/// Every other class keeps S = s^p (not halved in <see cref="CompositeMode.Mean"/>). The queue gets no gradient.
/// </summary>
public sealed class CalibratedSimilarity : ClassSimilarityHead
{
    // Submodules (registered): the inner head's proxies and the queue buffers appear in state_dict.
    private readonly ProxySimilarity inner;
    private readonly GlobalCenter center;

    /// <summary>Wraps <paramref name="inner"/> with the queue <paramref name="center"/>.</summary>
    /// <param name="inner">The proxy head producing s^p (N x C).</param>
    /// <param name="center">The global center; same C and D as the inner head.</param>
    /// <param name="startEpoch">E_s (0-based): the queue is used from this epoch on (default 12).</param>
    /// <param name="composite">Eq. 2 combination.</param>
    /// <param name="centerSimilarity">Eq. 3 form of s^g.</param>
    /// <param name="centerWeight">β in S = s^p + β·s^g (1 in the paper; ≥ 0).</param>
    /// <param name="centerClasses">Which classes of a sample get s^g (all used classes, or its own class only).</param>
    public CalibratedSimilarity(ProxySimilarity inner, GlobalCenter center, int startEpoch = 12,
        CompositeMode composite = CompositeMode.Sum, CenterSimilarityMode centerSimilarity = CenterSimilarityMode.MeanCos,
        double centerWeight = 1, CenterClasses centerClasses = CenterClasses.All)
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
        Guard.NonNegative(centerWeight, nameof(centerWeight));
        CenterWeight = centerWeight;
        CenterClasses = Guard.Defined(centerClasses, nameof(centerClasses));
        RegisterComponents();
    }

    /// <summary>The proxy head that produces s^p.</summary>
    public ProxySimilarity Inner => inner;

    /// <summary>The global center.</summary>
    public GlobalCenter Center => center;

    /// <summary>E_s, the first epoch (0-based) in which the queue is used.</summary>
    public int StartEpoch { get; }

    /// <summary>Eq. 2 combination.</summary>
    public CompositeMode Composite { get; }

    /// <summary>Eq. 3 form of s^g.</summary>
    public CenterSimilarityMode CenterSimilarity { get; }

    /// <summary>β in S = s^p + β·s^g.</summary>
    public double CenterWeight { get; }

    /// <summary>Which classes of a sample get s^g.</summary>
    public CenterClasses CenterClasses { get; }

    /// <summary>Whether the queue is used in <paramref name="epoch"/> (epoch ≥ start epoch).</summary>
    public bool IsActive(int epoch) => epoch >= StartEpoch;

    /// <inheritdoc/>
    public override int NumClasses => inner.NumClasses;

    /// <inheritdoc/>
    public override int EmbeddingSize => inner.EmbeddingSize;

    /// <inheritdoc/>
    public override IEnumerable<Parameter> ProxyParameters() => inner.ProxyParameters();

    /// <summary>
    /// S (N x C) with the queue in use, i.e. the similarity of every epoch from the start epoch on (for inspection and
    /// retrieval against the composite centre). A training step's S depends on its epoch: <see cref="Compute"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Similarity.CenterClasses.OwnClass"/>, which needs labels (use <see cref="Compute"/>).</exception>
    public override Tensor forward(Tensor embeddings) => Compute(embeddings, StartEpoch).Composite;

    /// <summary>S together with its pieces, at <paramref name="epoch"/>; <paramref name="labels"/> (N) are needed for
    /// <see cref="Similarity.CenterClasses.OwnClass"/> only.</summary>
    /// <exception cref="InvalidOperationException">Own-class s^g without labels once the queue is active.</exception>
    public CalibratedSimilarityOutput Compute(Tensor embeddings, int epoch, Tensor? labels = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (labels is not null) labels = Guard.Labels(labels, embeddings.shape[0], NumClasses, nameof(labels));
        inner.CheckEmbeddings(embeddings, nameof(embeddings));
        Guard.SameDevice(embeddings, center.Entries, nameof(embeddings), "the queue");
        return ComputeChecked(embeddings, TensorMath.InverseNorm(embeddings), epoch, labels);
    }

    /// <summary>
    /// <see cref="Compute"/> on validated embeddings; <paramref name="inverseNorm"/> (1/||x|| per row) is shared by s^p,
    /// s^g and the queue update, so a training step computes it once.
    /// </summary>
    internal CalibratedSimilarityOutput ComputeChecked(Tensor embeddings, Tensor inverseNorm, int epoch, Tensor? labels = null)
    {
        var sp = inner.FromEmbeddings(embeddings, inverseNorm);
        if (!IsActive(epoch))
            return new CalibratedSimilarityOutput(sp, sp, null, zeros(NumClasses, ScalarType.Bool, sp.device), false, null);

        var means = center.Means();
        var used = center.NonEmpty();
        var sg = CenterSimilarityFromMeans(embeddings, inverseNorm, means);
        var composite = CenterClasses == CenterClasses.All && CenterWeight == 1 && CenterSimilarity != CenterSimilarityMode.CenteredCos
            ? Composite switch
            {
                // Empty classes have ḡ = 0, hence s^g = 0: the primary sum needs no mask.
                CompositeMode.Sum => sp + sg,
                _ => where(used.unsqueeze(0), (sp + sg) / 2, sp),
            }
            : Combine(sp, sg, AddedWhere(used, labels, sp.shape[0]));
        return new CalibratedSimilarityOutput(composite, sp, sg, used, true, means);
    }

    // (N x C) where s^g enters S: used classes, and with OwnClass only each sample's own class.
    private Tensor AddedWhere(Tensor used, Tensor? labels, long n)
    {
        var mask = used.unsqueeze(0).expand(n, NumClasses);
        if (CenterClasses == CenterClasses.All) return mask;
        if (labels is null)
            throw new InvalidOperationException("CenterClasses.OwnClass adds s^g at each sample's own class: pass the labels to Compute.");
        return mask.logical_and(nn.functional.one_hot(labels, NumClasses).to_type(ScalarType.Bool));
    }

    // S = s^p + β·s^g where added (Sum), or (s^p + β·s^g) / 2 there and s^p elsewhere (Mean).
    private Tensor Combine(Tensor sp, Tensor sg, Tensor added) => Composite switch
    {
        CompositeMode.Sum => sp + where(added, sg * CenterWeight, zeros_like(sg)),
        _ => where(added, (sp + sg * CenterWeight) / 2, sp),
    };

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
        if (CenterSimilarity == CenterSimilarityMode.CenteredCos) return CenteredCosine(embeddings * inverseNorm, means.detach());
        var g = CenterSimilarity == CenterSimilarityMode.MeanCos ? means : TensorMath.Normalize(means);
        return embeddings.matmul(g.detach().t()) * inverseNorm;   // x̂ ḡᵀ
    }

    // cos(x̂ − μ, ḡ_c − μ), μ the count-weighted mean of the class means (= the mean of every queued entry); 0 for empty classes.
    private Tensor CenteredCosine(Tensor normalized, Tensor means)
    {
        var counts = center.Counts.to_type(means.dtype).unsqueeze(1);
        var mu = (means * counts).sum(0, keepdim: true) / counts.sum().clamp_min(1);
        var g = TensorMath.Normalize(means - mu) * center.NonEmpty().to_type(means.dtype).unsqueeze(1);
        return TensorMath.Normalize(normalized - mu).matmul(g.t());
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
