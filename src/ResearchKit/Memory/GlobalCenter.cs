using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Memory;

/// <summary>
/// The CP global center (losses.md §5.2): one FIFO queue of capacity M per class, holding L2-normalised,
/// detached embeddings. State is three buffers, all saved in <c>state_dict</c>: <c>entries</c> (C x M x D),
/// <c>counts</c> (C, int64) and <c>heads</c> (C, int64, next write slot). The valid entries of class c are slots
/// 0 .. counts[c]−1; every other slot is zero. No gradient ever reaches the queue.
/// </summary>
public sealed class GlobalCenter : nn.Module
{
    // Buffers (registered by RegisterComponents; updated in place so the registered tensors stay the same).
    private Tensor entries;
    private Tensor counts;
    private Tensor heads;

    /// <summary>Creates an empty queue.</summary>
    /// <param name="numClasses">C ≥ 1.</param>
    /// <param name="capacity">M ≥ 1, entries per class.</param>
    /// <param name="embeddingSize">D ≥ 1.</param>
    /// <param name="dtype">float32 (default) or float64; match the model.</param>
    /// <param name="device">Device (default CPU); match the model.</param>
    public GlobalCenter(int numClasses, int capacity, int embeddingSize, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(GlobalCenter))
    {
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

    /// <summary>The stored entries (C x M x D). Treat as read-only.</summary>
    public Tensor Entries => entries;

    /// <summary>Stored entries per class (C, int64, ≤ M).</summary>
    public Tensor Counts => counts;

    /// <summary>Next write slot per class (C, int64).</summary>
    public Tensor Heads => heads;

    /// <summary>Classes with at least one stored entry (C, bool).</summary>
    public Tensor NonEmpty() => counts.gt(0);

    /// <summary>
    /// Per-class mean of the valid entries, not re-normalised (C x D; a zero row for an empty class).
    /// s^g = x̂ · ḡ equals the mean cosine to the entries (Eq. 3).
    /// </summary>
    public Tensor Means()
    {
        using var scope = NewDisposeScope();
        // Invalid slots are zero, so a plain sum over M is the sum of the valid entries.
        var n = counts.clamp_min(1).to_type(entries.dtype).unsqueeze(1);
        return (entries.sum(1) / n).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Σ_m ||g_cm − ḡ_c||² per class over the valid entries (C), for the calibration loss; <paramref name="means"/>
    /// must be <see cref="Means"/>. Uses Σ_m ||g_m||² − n·||ḡ||² in float64 (one pass over the queue, no C x M x D temporary
    /// beyond the norms), clamped at 0.
    /// </summary>
    public Tensor SquaredDeviationSums(Tensor means)
    {
        using var scope = NewDisposeScope();
        var sq = linalg.vector_norm(entries, 2, new long[] { -1 }).to_type(ScalarType.Float64).square().sum(1);
        var n = counts.to_type(ScalarType.Float64);
        var spread = (sq - n * means.to_type(ScalarType.Float64).square().sum(1)).clamp_min(0);
        return spread.to_type(entries.dtype).MoveToOuterDisposeScope();
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

        // Rank of each sample within its class, in row order: sort by the unique key label·N + row.
        var rows = arange(n, ScalarType.Int64, y.device);
        var order = (y * n + rows).argsort();
        var sortedLabels = y.index_select(0, order);
        var perClass = zeros(NumClasses, ScalarType.Int64, y.device).index_add_(0, y, ones_like(y), 1);
        var firstInSorted = perClass.cumsum(0) - perClass;
        var rankSorted = rows - firstInSorted.index_select(0, sortedLabels);
        var rank = empty_like(rankSorted).index_copy_(0, order, rankSorted);

        // Only the last M samples of a class survive; their slots are distinct modulo M.
        var nOfSample = perClass.index_select(0, y);
        var keep = rank.ge(nOfSample - m).nonzero().squeeze(1);
        var keptLabels = y.index_select(0, keep);
        var slot = (heads.index_select(0, keptLabels) + rank.index_select(0, keep)).remainder(m);
        var flat = keptLabels * m + slot;
        var values = normalized.detach().index_select(0, keep).to_type(entries.dtype);
        entries.view(NumClasses * m, EmbeddingSize).index_copy_(0, flat, values);

        heads.add_(perClass).remainder_(m);
        counts.add_(perClass).clamp_max_(m);
    }

    /// <summary>Empties every queue.</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        entries.zero_();
        counts.zero_();
        heads.zero_();
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
    }

    private void CheckIndexVector(Tensor t, long upperExclusive, string name)
    {
        if (t.dim() != 1 || t.shape[0] != NumClasses || t.is_floating_point())
            throw new ArgumentException($"expected {NumClasses} integers but got {t.dtype} of shape [{Guard.Shape(t)}]", name);
        if (t.min().to_type(ScalarType.Int64).item<long>() < 0 || t.max().to_type(ScalarType.Int64).item<long>() >= upperExclusive)
            throw new ArgumentException($"expected values in [0, {upperExclusive})", name);
    }
}
