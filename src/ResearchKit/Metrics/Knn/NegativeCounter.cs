using System.Numerics;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// Counts, per query, the references of another label that rank above its best same-label reference, i.e. with a
/// higher similarity, or an equal one and a lower index. Then the rank of the first relevant neighbour is
/// 1 + count, and Recall@k for any k is a comparison, without a top-k list of length k.
/// Fed by the scan with the candidates that reach the query's best positive (s*) on the very values the top-k lists
/// see; same-label references are left out by their labels. Host arrays; not thread-safe: callers serialise the
/// calls that touch the same queries.
/// </summary>
internal sealed class NegativeCounter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly long[] queryLabels;
    private readonly long[] referenceLabels;
    private readonly T[] best;          // s*: best same-label similarity (+inf when lone)
    private readonly long[] bestIndex;  // i*: its reference index (-1 when lone)
    private readonly long[] counts;

    /// <param name="queryLabels">Query labels (int64).</param>
    /// <param name="referenceLabels">Reference labels (int64).</param>
    /// <param name="bestPositive">s* and i* per query.</param>
    /// <param name="cap">Counts stop at this value (the largest k asked for needs no more).</param>
    public NegativeCounter(Tensor queryLabels, Tensor referenceLabels, BestPositive bestPositive, long cap)
    {
        this.queryLabels = HostArray<long>(queryLabels);
        this.referenceLabels = HostArray<long>(referenceLabels);
        best = HostArray<T>(bestPositive.Similarity);
        bestIndex = HostArray<long>(bestPositive.Index);
        counts = new long[best.Length];
        Cap = cap;
    }

    /// <summary>Counts at or above this value are final.</summary>
    public long Cap { get; }

    /// <summary>
    /// Similarities below this cannot count for the query: s* while its count is below the cap, +inf after
    /// (the scan's filter compares with &gt;=, <see cref="Offer"/> decides).
    /// </summary>
    public T Threshold(long query) => counts[query] < Cap ? best[query] : T.PositiveInfinity;

    /// <summary>
    /// Counts (similarity, reference) for the query if it is a negative ranked above its best positive; true when the
    /// count reached the cap with it (only then does <see cref="Threshold"/> change).
    /// </summary>
    // Fully optimised from the first call, like the scan's fold that calls it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Offer(long query, T similarity, long reference)
    {
        if (counts[query] >= Cap) return false;
        T s = best[query];
        bool above = similarity > s || (similarity == s && reference < bestIndex[query]);
        // With s* taken from products like the scan's no positive exceeds it; the label test keeps the counts exact
        // even where another kernel rounds the two differently.
        return above && referenceLabels[reference] != queryLabels[query] && ++counts[query] == Cap;
    }

    /// <summary>
    /// Per query: the negatives ranked above its best positive (int64); a count equal to <see cref="Cap"/> means
    /// "at least Cap".
    /// </summary>
    public Tensor CountsTensor(Device device) => torch.tensor(counts, device: device);

    private static TElement[] HostArray<TElement>(Tensor tensor) where TElement : unmanaged
    {
        // A scope, not a using on the copy: cpu()/contiguous() may return the caller's own tensor.
        using var scope = torch.NewDisposeScope();
        return tensor.cpu().contiguous().data<TElement>().ToArray();
    }
}
