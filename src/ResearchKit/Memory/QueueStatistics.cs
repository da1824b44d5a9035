using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Memory;

/// <summary>
/// Running per-class statistics of a <see cref="GlobalCenter"/>'s valid entries, in float64: the sums Σ_m g_cm (C x D)
/// and the squared-norm sums Σ_m ||g_cm||² (C), of the stored (queue-dtype) values. Derived state: it remembers which
/// <c>entries</c> tensor it describes and is recomputed from it when that tensor, its device or its dtype changes, when
/// invalidated, or after a number of incremental updates (drift bound).
/// </summary>
internal sealed class QueueStatistics : IDisposable
{
    private Tensor? sums;
    private Tensor? squaredNorms;
    private Tensor? source;            // the entries tensor (object identity) the statistics describe
    private ScalarType sourceDtype;
    private Device? sourceDevice;
    private int updatesSinceRecompute;
    private bool stale = true;

    /// <summary>Σ_m g_cm over the valid entries (C x D, float64).</summary>
    public Tensor Sums => sums ?? throw new InvalidOperationException("the statistics have not been computed");

    /// <summary>Σ_m ||g_cm||² over the valid entries (C, float64).</summary>
    public Tensor SquaredNorms => squaredNorms ?? throw new InvalidOperationException("the statistics have not been computed");

    /// <summary>Number of exact recomputes so far (for tests and diagnostics).</summary>
    public long Recomputes { get; private set; }

    /// <summary>Marks the statistics stale.</summary>
    public void Invalidate() => stale = true;

    /// <summary>Whether the statistics describe <paramref name="entries"/> and are within the drift bound.</summary>
    public bool IsValidFor(Tensor entries, int recomputeInterval) =>
        !stale && sums is not null && ReferenceEquals(source, entries) && updatesSinceRecompute < recomputeInterval
        && entries.dtype == sourceDtype && sourceDevice is not null
        && entries.device_type == sourceDevice.type && entries.device_index == sourceDevice.index;

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
        var newSquaredNorms = e64.square().sum(new long[] { 1, 2 }).DetachFromDisposeScope();
        sums?.Dispose();
        squaredNorms?.Dispose();
        sums = newSums;
        squaredNorms = newSquaredNorms;
        source = entries;
        sourceDtype = entries.dtype;
        sourceDevice = entries.device;
        updatesSinceRecompute = 0;
        stale = false;
        Recomputes++;
    }

    /// <summary>
    /// Incremental update for one enqueue: adds <paramref name="added"/> and removes <paramref name="removed"/> (both R x D,
    /// float64, rows of class <paramref name="classes"/>[r]; a removed row that was not a valid entry must be zero).
    /// </summary>
    public void Add(Tensor classes, Tensor added, Tensor removed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Sums.index_add_(0, classes, added - removed, 1);
        SquaredNorms.index_add_(0, classes, added.square().sum(1) - removed.square().sum(1), 1);
    }

    /// <summary>Counts one incremental update towards the recompute interval.</summary>
    public void CountEnqueue() => updatesSinceRecompute++;

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        sums?.Dispose();
        squaredNorms?.Dispose();
        sums = squaredNorms = null;
        source = null;
        stale = true;
    }
}
