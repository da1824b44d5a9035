using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Memory;

/// <summary>
/// Running per-class statistics of a <see cref="GlobalCenter"/>'s valid entries, in float64: the sums Σ_m g_cm (C x D)
/// and the squared norm of every slot ||g_cm||² (C x M, zero for an invalid slot), of the stored (queue-dtype) values.
/// The norms are kept per slot, so an overwrite replaces a value instead of subtracting it: only the sums can drift. Derived state: it remembers which
/// <c>entries</c> tensor it describes and is recomputed from it when that tensor is replaced, when
/// invalidated, or after a number of incremental updates (drift bound).
/// </summary>
internal sealed class QueueStatistics : IDisposable
{
    private Tensor? sums;
    private Tensor? slotSquaredNorms;
    // The entries tensor (object identity) the statistics describe. A tensor object never changes dtype or device:
    // .to(...) on the module puts a new one in its place, which this identity test catches.
    private Tensor? source;
    private int updatesSinceRecompute;
    private bool stale = true;

    /// <summary>Σ_m g_cm over the valid entries (C x D, float64).</summary>
    public Tensor Sums => sums ?? throw new InvalidOperationException("the statistics have not been computed");

    /// <summary>Σ_m ||g_cm||² over the valid entries (C, float64; a new tensor).</summary>
    public Tensor SquaredNorms() =>
        (slotSquaredNorms ?? throw new InvalidOperationException("the statistics have not been computed")).sum(1);

    /// <summary>Number of exact recomputes so far (for tests and diagnostics).</summary>
    public long Recomputes { get; private set; }

    /// <summary>Marks the statistics stale.</summary>
    public void Invalidate() => stale = true;

    /// <summary>Whether the statistics describe <paramref name="entries"/> and are within the drift bound.</summary>
    public bool IsValidFor(Tensor entries, int recomputeInterval) =>
        !stale && sums is not null && ReferenceEquals(source, entries) && updatesSinceRecompute < recomputeInterval;

    /// <summary>
    /// Exact recompute from <paramref name="entries"/> (C x M x D; invalid slots are zero, so a sum over M is the sum of
    /// the valid entries). Costs one pass over the queue and a float64 copy of it.
    /// </summary>
    public void Recompute(Tensor entries)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var e64 = entries.detach().to_type(ScalarType.Float64);
        var newSums = e64.sum(1).DetachFromDisposeScope();
        var newSlotNorms = e64.square().sum(2).DetachFromDisposeScope();
        sums?.Dispose();
        slotSquaredNorms?.Dispose();
        sums = newSums;
        slotSquaredNorms = newSlotNorms;
        source = entries;
        updatesSinceRecompute = 0;
        stale = false;
        Recomputes++;
    }

    /// <summary>
    /// Incremental update for one enqueue: rows <paramref name="added"/> (R x D, float64) of classes
    /// <paramref name="classes"/> go to the distinct flat slots <paramref name="flatSlots"/> (class·M + slot), replacing
    /// <paramref name="removed"/> (R x D, float64: the old values of slots that were valid, zero rows otherwise).
    /// No R x D temporary: two index_add_ calls (the second with alpha −1), one row dot product and an index_copy_.
    /// </summary>
    public void Add(Tensor classes, Tensor flatSlots, Tensor added, Tensor removed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Sums.index_add_(0, classes, added, 1).index_add_(0, classes, removed, -1);
        var norms = slotSquaredNorms ?? throw new InvalidOperationException("the statistics have not been computed");
        norms.view(-1).index_copy_(0, flatSlots, linalg.vecdot(added, added, -1, null));
    }

    /// <summary>Counts one incremental update towards the recompute interval.</summary>
    public void CountEnqueue() => updatesSinceRecompute++;

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        sums?.Dispose();
        slotSquaredNorms?.Dispose();
        sums = slotSquaredNorms = null;
        source = null;
        stale = true;
    }
}
