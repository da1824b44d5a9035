using System.Numerics;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// Each query's best <c>k</c> references seen so far, ordered by (similarity descending, reference index ascending),
/// kept in plain host arrays: one sorted run of k slots per query, updated by insertion. A candidate enters when it
/// beats the k-th slot on that composite key, so the lists do not depend on the order in which candidates arrive
/// (which lets several scan workers feed one instance). Not thread-safe: callers serialise the calls that touch the
/// same queries.
/// </summary>
internal sealed class RunningTopK<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Placeholder index of an empty slot: loses every tie against a real reference.</summary>
    private const long EmptyIndex = long.MaxValue;

    private readonly T[] values;
    private readonly long[] indices;

    public RunningTopK(long queryCount, int k)
    {
        long slots = queryCount * k;
        if (slots > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"expected queries x k <= {Array.MaxLength} neighbour slots, got {queryCount} x {k}");
        K = k;
        QueryCount = queryCount;
        values = new T[slots];
        indices = new long[slots];
        Array.Fill(values, T.NegativeInfinity);
        Array.Fill(indices, EmptyIndex);
    }

    /// <summary>Neighbours kept per query.</summary>
    public int K { get; }

    /// <summary>Queries.</summary>
    public long QueryCount { get; }

    /// <summary>
    /// The query's k-th similarity: a candidate below it cannot enter; an equal one enters only with a lower index
    /// (the scan's filter compares with &gt;=, <see cref="Offer"/> decides).
    /// </summary>
    public T Threshold(long query) => values[query * K + K - 1];

    /// <summary>
    /// Inserts (similarity, reference) into the query's list if it ranks among its best k; true when it did (only then
    /// can <see cref="Threshold"/> have changed).
    /// </summary>
    // Fully optimised from the first call: most insertions happen in the scan's first blocks, before tiering would
    // replace tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Offer(long query, T similarity, long reference)
    {
        var slotValues = values.AsSpan(checked((int)(query * K)), K);
        var slotIndices = indices.AsSpan(checked((int)(query * K)), K);
        int slot = K - 1;
        if (!Before(similarity, reference, slotValues[slot], slotIndices[slot])) return false;
        for (; slot > 0 && Before(similarity, reference, slotValues[slot - 1], slotIndices[slot - 1]); slot--)
        {
            slotValues[slot] = slotValues[slot - 1];
            slotIndices[slot] = slotIndices[slot - 1];
        }
        slotValues[slot] = similarity;
        slotIndices[slot] = reference;
        return true;
    }

    /// <summary>The composite order: higher similarity first, then the lower reference index.</summary>
    private static bool Before(T similarity, long reference, T otherSimilarity, long otherReference) =>
        similarity > otherSimilarity || (similarity == otherSimilarity && reference < otherReference);

    /// <summary>Reference indices, (queries x K) int64, best first.</summary>
    public Tensor IndicesTensor(Device device) => torch.tensor(indices, new[] { QueryCount, K }, device: device);

    /// <summary>Similarities, (queries x K) of <paramref name="dtype"/> (which must match T), descending.</summary>
    public Tensor ValuesTensor(ScalarType dtype, Device device) => values switch
    {
        float[] f when dtype == ScalarType.Float32 => torch.tensor(f, new[] { QueryCount, K }, device: device),
        double[] d when dtype == ScalarType.Float64 => torch.tensor(d, new[] { QueryCount, K }, device: device),
        _ => throw new ArgumentException($"expected the dtype of {typeof(T).Name} similarities, got {dtype}", nameof(dtype)),
    };
}
