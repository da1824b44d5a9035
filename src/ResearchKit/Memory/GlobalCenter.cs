using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Memory;

/// <summary>
/// The CP global center (losses.md §5.2): one FIFO queue of capacity M per class, holding L2-normalised,
/// detached embeddings. State is three buffers, all saved in <c>state_dict</c>: <c>entries</c> (C x M x D),
/// <c>counts</c> (C, int64) and <c>heads</c> (C, int64, next write slot). The valid entries of class c are slots
/// 0 .. counts[c]−1; every other slot is zero. No gradient ever reaches the queue.
/// <para>
/// Per-class running statistics (float64 sums of the valid entries and of their squared norms) are kept up to date at
/// enqueue time, so <see cref="Means"/> and <see cref="SquaredDeviationSums()"/> cost O(C·D) instead of a pass over the
/// C x M x D queue. They are derived state, not buffers (the state_dict keeps its three keys), and are recomputed from
/// <c>entries</c> whenever they may be stale: after <see cref="Reset"/>, <see cref="Restore"/>, whenever the buffers are
/// handed out through the module API (<c>state_dict</c>, <c>named_buffers</c>: every TorchSharp load path, also on a parent
/// module, and the checkpoint loader go through them), after an <see cref="IStateLoadObserver"/> notification or
/// <see cref="InvalidateStatistics"/>, after a move with <c>.to(...)</c> (a new <c>entries</c> tensor), and every
/// <see cref="RecomputeInterval"/> enqueues. Writing through <see cref="Entries"/> is not detected (it is read-only).
/// </para>
/// </summary>
public sealed class GlobalCenter : nn.Module, IStateLoadObserver
{
    /// <summary>Default of <see cref="RecomputeInterval"/>.</summary>
    public const int DefaultRecomputeInterval = 1000;

    // Buffers (registered by RegisterComponents; updated in place so the registered tensors stay the same).
    private Tensor entries;
    private Tensor counts;
    private Tensor heads;

    // Not a Tensor field: RegisterComponents and the reflection in Module._to only see Tensor/Parameter/Module fields,
    // so the statistics stay out of state_dict and are never converted to the queue dtype by .to(...).
    private readonly QueueStatistics statistics = new();

    /// <summary>Creates an empty queue.</summary>
    /// <param name="numClasses">C ≥ 1.</param>
    /// <param name="capacity">M ≥ 1, entries per class.</param>
    /// <param name="embeddingSize">D ≥ 1.</param>
    /// <param name="dtype">float32 (default) or float64; match the model.</param>
    /// <param name="device">Device (default CPU); match the model.</param>
    /// <param name="recomputeInterval">Enqueues between exact recomputes of the running statistics (≥ 1, default
    /// <see cref="DefaultRecomputeInterval"/>); see <see cref="RecomputeInterval"/>.</param>
    public GlobalCenter(int numClasses, int capacity, int embeddingSize, ScalarType dtype = ScalarType.Float32, Device? device = null,
        int recomputeInterval = DefaultRecomputeInterval)
        : base(nameof(GlobalCenter))
    {
        RecomputeInterval = Guard.AtLeastOne(recomputeInterval, nameof(recomputeInterval));
        NumClasses = Guard.AtLeastOne(numClasses, nameof(numClasses));
        Capacity = Guard.AtLeastOne(capacity, nameof(capacity));
        EmbeddingSize = Guard.AtLeastOne(embeddingSize, nameof(embeddingSize));
        if (dtype != ScalarType.Float32 && dtype != ScalarType.Float64)
            throw new ArgumentException($"expected float32 or float64 but got {dtype}", nameof(dtype));
        device ??= CPU;
        entries = zeros(new long[] { numClasses, capacity, embeddingSize }, dtype, device);
        counts = zeros(new long[] { numClasses }, ScalarType.Int64, device);
        heads = zeros(new long[] { numClasses }, ScalarType.Int64, device);
        RegisterComponents();
    }

    /// <summary>C, number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>M, capacity per class.</summary>
    public int Capacity { get; }

    /// <summary>D, embedding size.</summary>
    public int EmbeddingSize { get; }

    /// <summary>
    /// Enqueues between exact recomputes of the running statistics from <c>entries</c>. Each enqueue adds and subtracts
    /// rows in the float64 class sums, with rounding errors of about 1e-16 relative that grow like a random walk (the
    /// squared norms are stored per slot and replaced, so they do not drift); recomputing every R enqueues keeps
    /// them near 1e-14 relative at a cost of one full pass per R steps (negligible for R = 1000). It also bounds how long
    /// an unnotified external write to the buffers can go unseen.
    /// </summary>
    public int RecomputeInterval { get; }

    /// <summary>The stored entries (C x M x D). Treat as read-only.</summary>
    public Tensor Entries => entries;

    /// <summary>Stored entries per class (C, int64, ≤ M).</summary>
    public Tensor Counts => counts;

    /// <summary>Next write slot per class (C, int64).</summary>
    public Tensor Heads => heads;

    /// <summary>Classes with at least one stored entry (C, bool).</summary>
    public Tensor NonEmpty() => counts.gt(0);

    /// <summary>
    /// Per-class mean of the valid entries, not re-normalised (C x D, queue dtype; a zero row for an empty class).
    /// s^g = x̂ · ḡ equals the mean cosine to the entries (Eq. 3). O(C·D): from the running float64 sums.
    /// </summary>
    public Tensor Means()
    {
        using var scope = NewDisposeScope();
        var stats = Statistics();
        using var one = 1L.ToScalar();   // rooted: an implicit Scalar can be finalised while libtorch reads it (a resumed trainer test hit it here)
        var n = counts.clamp_min(one).to_type(ScalarType.Float64).unsqueeze(1);
        return (stats.Sums / n).to_type(entries.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Σ_m ||g_cm − ḡ_c||² per class over the valid entries (C, queue dtype; 0 for an empty class), for the calibration
    /// loss. Uses Σ_m ||g_m||² − ||Σ_m g_m||² / n from the running float64 statistics (O(C·D)), clamped at 0.
    /// </summary>
    public Tensor SquaredDeviationSums()
    {
        using var scope = NewDisposeScope();
        var stats = Statistics();
        using var one = 1L.ToScalar();   // rooted Scalars (docs/torchsharp-scalar-race.md)
        using var zero = 0.0.ToScalar();
        var n = counts.clamp_min(one).to_type(ScalarType.Float64);
        var spread = (stats.SquaredNorms() - stats.Sums.square().sum(1) / n).clamp_min(zero);
        return spread.to_type(entries.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Marks the running statistics stale, so the next <see cref="Means"/> recomputes them from <c>entries</c>. Only needed
    /// after writing the buffers in place through a reference kept from earlier (<see cref="Entries"/>, or a
    /// <c>state_dict</c> taken before the statistics were last used); the module API's load paths mark them stale already.
    /// </summary>
    public void InvalidateStatistics() => statistics.Invalidate();

    /// <summary>Exact recomputes of the running statistics so far (tests and diagnostics).</summary>
    internal long StatisticsRecomputes => statistics.Recomputes;

    /// <inheritdoc/>
    void IStateLoadObserver.OnStateLoaded() => statistics.Invalidate();

    /// <summary>
    /// The state dict (<c>entries</c>, <c>counts</c>, <c>heads</c>). Handing out the buffers is how every TorchSharp load
    /// path (<c>load</c>, <c>load_state_dict</c>, also on a parent module) reaches them before writing in place, so this
    /// marks the running statistics stale; they are recomputed once, on next use.
    /// </summary>
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        statistics.Invalidate();
        return base.state_dict(destination, prefix);
    }

    /// <summary>The buffers; like <see cref="state_dict"/>, handing them out marks the running statistics stale.</summary>
    public override IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true, bool include_nonpersistent = true)
    {
        statistics.Invalidate();
        return base.named_buffers(recurse, include_nonpersistent);
    }

    /// <inheritdoc/>
    public override (IList<string> missing_keys, IList<string> unexpected_keyes) load_state_dict(
        Dictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
    {
        try { return base.load_state_dict(source, strict, skip); }
        finally { statistics.Invalidate(); }
    }

    /// <summary>The statistics, recomputed first when stale (<c>entries</c> replaced, e.g. by <c>.to(...)</c>, or invalidated).</summary>
    private QueueStatistics Statistics()
    {
        if (!statistics.IsValidFor(entries, RecomputeInterval)) statistics.Recompute(entries);
        return statistics;
    }

    /// <summary>
    /// Enqueues a whole batch in one vectorised scatter with exact per-class ring semantics: rows are taken in
    /// order; the j-th sample of class c in this batch goes to slot (heads[c] + j) mod M; with more than M samples
    /// of a class only the last M survive; heads[c] += n_c (mod M); counts[c] = min(counts[c] + n_c, M).
    /// Embeddings are L2-normalised and detached here.
    /// </summary>
    /// <param name="embeddings">Raw embeddings (N x D) on the queue's device.</param>
    /// <param name="labels">Class indices (N) in [0, C).</param>
    public void Enqueue(Tensor embeddings, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        Guard.SameDevice(embeddings, entries, nameof(embeddings), "the queue");
        Guard.Embeddings(embeddings, nameof(embeddings), EmbeddingSize);
        ArgumentNullException.ThrowIfNull(labels);
        Guard.SameDevice(labels, entries, nameof(labels), "the queue");
        using var scope = NewDisposeScope();
        var y = Guard.Labels(labels, embeddings.shape[0], NumClasses, nameof(labels));
        EnqueueNormalized(TensorMath.Normalize(embeddings.detach()), y);
    }

    /// <summary>Enqueue of already normalised rows with validated int64 labels (the training step normalises once).</summary>
    internal void EnqueueNormalized(Tensor normalized, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long n = y.shape[0], m = Capacity;
        // Explicit, rooted Scalars: implicit ones can be finalised by a GC while libtorch reads them (integer ops then fail
        // with "Unknown scalar type"; docs/torchsharp-scalar-race.md). TorchSharp's add_(Tensor) passes an implicit alpha = 1,
        // so every add_ here names the rooted one.
        using var nS = n.ToScalar();
        using var mS = m.ToScalar();
        using var one = 1L.ToScalar();

        // Rank of each sample within its class, in row order: sort by the unique key label·N + row.
        var rows = arange(n, ScalarType.Int64, y.device);
        var order = y.mul(nS).add_(rows, one).argsort();
        var sortedLabels = y.index_select(0, order);
        var perClass = zeros(NumClasses, ScalarType.Int64, y.device).index_add_(0, y, ones_like(y), one);
        var firstInSorted = perClass.cumsum(0).sub_(perClass);
        var rankSorted = rows.sub(firstInSorted.index_select(0, sortedLabels));
        var rank = empty_like(rankSorted).index_copy_(0, order, rankSorted);

        // Only the last M samples of a class survive; their slots are distinct modulo M.
        var nOfSample = perClass.index_select(0, y);
        var keep = rank.ge(nOfSample.sub(mS)).nonzero().squeeze(1);
        // Usually every row survives (no class has more than M samples in the batch): skip three gathers, one of N x D.
        bool all = keep.shape[0] == n;
        var keptLabels = all ? y : y.index_select(0, keep);
        var slot = heads.index_select(0, keptLabels).add_(all ? rank : rank.index_select(0, keep), one).remainder_(mS);
        var flat = keptLabels.mul(mS).add_(slot, one);
        var values = (all ? normalized.detach() : normalized.detach().index_select(0, keep)).to_type(entries.dtype);
        var stored = entries.view(NumClasses * m, EmbeddingSize);
        // Bring the statistics up to date (a recompute when stale) before the overwrite, then apply the difference:
        // − the overwritten slots that were valid (slot < counts[c] before this update), + the new rows, both as stored.
        var stats = Statistics();
        var wasValid = slot.lt(counts.index_select(0, keptLabels)).unsqueeze(1);
        var old64 = stored.index_select(0, flat).to_type(ScalarType.Float64).mul_(wasValid);
        var new64 = values.to_type(ScalarType.Float64);
        stats.Add(keptLabels, flat, new64, old64);
        stored.index_copy_(0, flat, values);

        heads.add_(perClass, one).remainder_(mS);
        counts.add_(perClass, one).clamp_max_(mS);
        stats.CountEnqueue();
    }

    /// <summary>Empties every queue.</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        entries.zero_();
        counts.zero_();
        heads.zero_();
        statistics.Invalidate();
    }

    /// <summary>
    /// Replaces the state (e.g. from a reference or another run). Entries are used as given (not re-normalised);
    /// slots at or beyond counts[c] are zeroed.
    /// </summary>
    /// <param name="newEntries">C x M x D.</param>
    /// <param name="newCounts">C integers in [0, M].</param>
    /// <param name="newHeads">C integers in [0, M).</param>
    public void Restore(Tensor newEntries, Tensor newCounts, Tensor newHeads)
    {
        ArgumentNullException.ThrowIfNull(newEntries);
        ArgumentNullException.ThrowIfNull(newCounts);
        ArgumentNullException.ThrowIfNull(newHeads);
        if (!newEntries.shape.SequenceEqual(entries.shape))
            throw new ArgumentException($"expected shape [{Guard.Shape(entries)}] but got [{Guard.Shape(newEntries)}]", nameof(newEntries));
        Guard.Finite(newEntries, nameof(newEntries));
        CheckIndexVector(newCounts, Capacity + 1L, nameof(newCounts));
        CheckIndexVector(newHeads, Capacity, nameof(newHeads));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = newCounts.to(ScalarType.Int64, entries.device);
        var valid = arange(Capacity, ScalarType.Int64, entries.device).unsqueeze(0).lt(c.unsqueeze(1)).unsqueeze(2);
        entries.copy_(newEntries.to(entries.dtype, entries.device) * valid.to_type(entries.dtype));
        counts.copy_(c);
        heads.copy_(newHeads.to(ScalarType.Int64, entries.device));
        statistics.Invalidate();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) statistics.Dispose();
        base.Dispose(disposing);
    }

    private void CheckIndexVector(Tensor t, long upperExclusive, string name)
    {
        if (t.dim() != 1 || t.shape[0] != NumClasses || t.is_floating_point())
            throw new ArgumentException($"expected {NumClasses} integers but got {t.dtype} of shape [{Guard.Shape(t)}]", name);
        if (t.min().to_type(ScalarType.Int64).item<long>() < 0 || t.max().to_type(ScalarType.Int64).item<long>() >= upperExclusive)
            throw new ArgumentException($"expected values in [0, {upperExclusive})", name);
    }
}
