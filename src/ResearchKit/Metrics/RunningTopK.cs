using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Each query's best <c>k</c> references seen so far, ordered by (similarity descending, reference index ascending).
/// Blocks of similarities are folded in with <see cref="Offer"/>; the fold is associative because every merge
/// re-sorts on that composite key, so ties are broken by the lower reference index whatever the block order.
/// </summary>
internal sealed class RunningTopK : IDisposable
{
    /// <summary>Placeholder index of an empty slot: loses every tie against a real reference.</summary>
    private const long EmptyIndex = long.MaxValue;

    public RunningTopK(long queryCount, int k, ScalarType dtype, Device device)
    {
        K = k;
        Values = torch.full(queryCount, k, double.NegativeInfinity, dtype, device);
        Indices = torch.full(queryCount, k, EmptyIndex, ScalarType.Int64, device);
    }

    /// <summary>Neighbours kept per query.</summary>
    public int K { get; }
    /// <summary>Similarities, (queries x K), descending.</summary>
    public Tensor Values { get; }
    /// <summary>Reference indices, (queries x K), aligned with <see cref="Values"/>.</summary>
    public Tensor Indices { get; }

    /// <summary>
    /// Offers a block of similarities. <paramref name="block"/> is (m x n): row i belongs to query
    /// <c>queryOffset + i</c>, column j to reference <c>referenceOffset + j</c>, so columns are in ascending
    /// reference order. For every query, blocks must arrive in ascending reference order: a candidate equal to
    /// the current k-th value then has a higher index and loses, which lets rows be skipped on their maximum alone.
    /// </summary>
    public void Offer(Tensor block, long queryOffset, long referenceOffset)
    {
        using var scope = torch.NewDisposeScope();
        long m = block.shape[0], n = block.shape[1];
        var rows = torch.arange(queryOffset, queryOffset + m, 1, ScalarType.Int64, block.device);
        var threshold = Values.narrow(0, queryOffset, m).select(1, K - 1);
        // Skip rows whose best candidate cannot enter (cheap max, then top-k only on the rest).
        var needed = block.amax(new long[] { 1 }).gt(threshold).nonzero().squeeze(1);
        long count = needed.shape[0];
        if (count == 0) return;
        var candidates = count == m ? block.contiguous() : block.index_select(0, needed);
        var queries = count == m ? rows : rows.index_select(0, needed);
        var (values, columns) = TopColumns(candidates, (int)Math.Min(K, n));
        Merge(queries, values, columns.add(referenceOffset));
    }

    /// <summary>
    /// Top-k columns of each row with exact ties broken by the lower column. torch.topk returns the right values
    /// but an arbitrary choice among elements tied with the k-th; asking for k+1 detects the rows where that
    /// choice matters, and those rows (rare outside constructed ties) are redone with a stable sort.
    /// </summary>
    private static (Tensor Values, Tensor Columns) TopColumns(Tensor rows, int k)
    {
        long n = rows.shape[1];
        if (k + 1 > n)
        {
            var (allValues, allColumns) = rows.sort(1, descending: true, stable: true);
            return (allValues.narrow(1, 0, k), allColumns.narrow(1, 0, k));
        }
        var (values, columns) = rows.topk(k + 1, 1, largest: true, sorted: true);
        var ambiguous = values.select(1, k).eq(values.select(1, k - 1)).nonzero().squeeze(1);
        values = values.narrow(1, 0, k);
        columns = columns.narrow(1, 0, k);
        if (ambiguous.shape[0] > 0)
        {
            var (exactValues, exactColumns) = rows.index_select(0, ambiguous).sort(1, descending: true, stable: true);
            values = values.index_copy(0, ambiguous, exactValues.narrow(1, 0, k));
            columns = columns.index_copy(0, ambiguous, exactColumns.narrow(1, 0, k));
        }
        return (values, columns);
    }

    /// <summary>Merges candidates (already limited to k per row) into the kept lists of the given queries.</summary>
    private void Merge(Tensor queries, Tensor values, Tensor indices)
    {
        var allValues = torch.cat(new[] { Values.index_select(0, queries), values }, 1);
        var allIndices = torch.cat(new[] { Indices.index_select(0, queries), indices }, 1);
        // Composite key (value desc, index asc): sort by index, then stable sort by value.
        var (byIndex, order) = allIndices.sort(1);
        var valuesByIndex = allValues.gather(1, order);
        var (sortedValues, order2) = valuesByIndex.sort(1, descending: true, stable: true);
        var sortedIndices = byIndex.gather(1, order2);
        Values.index_copy_(0, queries, sortedValues.narrow(1, 0, K));
        Indices.index_copy_(0, queries, sortedIndices.narrow(1, 0, K));
    }

    public void Dispose()
    {
        Values.Dispose();
        Indices.Dispose();
    }
}
