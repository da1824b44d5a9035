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
        block = block.contiguous();
        long m = block.shape[0], n = block.shape[1];
        int k = (int)Math.Min(K, n);
        long group = GroupWidth(n, k);
        var groupMax = group > 0 ? block.view(m, n / group, group).amax(new long[] { 2 }) : null;
        var rowMax = groupMax is null ? block.amax(new long[] { 1 }) : groupMax.amax(new long[] { 1 });
        // Skip rows whose best candidate cannot enter: ties with the k-th lose (higher index, see above).
        var threshold = Values.narrow(0, queryOffset, m).select(1, K - 1);
        var needed = rowMax.gt(threshold).nonzero().squeeze(1);
        long count = needed.shape[0];
        if (count == 0) return;
        bool all = count == m;

        Tensor values, columns;
        if (k + 1 > n)
        {
            (values, columns) = (all ? block : block.index_select(0, needed)).sort(1, descending: true, stable: true);
            values = values.narrow(1, 0, k);
            columns = columns.narrow(1, 0, k);
        }
        else
        {
            (values, columns) = group > 0
                ? TopViaGroups(block, all ? groupMax! : groupMax!.index_select(0, needed), needed, group, k + 1)
                : (all ? block : block.index_select(0, needed)).topk(k + 1, 1, largest: true, sorted: true);
            // torch.topk returns the right values but an arbitrary choice among elements tied with the k-th;
            // where the (k+1)-th equals the k-th that choice matters, and those rows (rare outside constructed
            // ties) are redone with a stable sort, which keeps tied columns in ascending order.
            var ambiguous = values.select(1, k).eq(values.select(1, k - 1)).nonzero().squeeze(1);
            values = values.narrow(1, 0, k);
            columns = columns.narrow(1, 0, k);
            if (ambiguous.shape[0] > 0)
            {
                var exactRows = block.index_select(0, needed.index_select(0, ambiguous));
                var (exactValues, exactColumns) = exactRows.sort(1, descending: true, stable: true);
                values = values.index_copy(0, ambiguous, exactValues.narrow(1, 0, k));
                columns = columns.index_copy(0, ambiguous, exactColumns.narrow(1, 0, k));
            }
        }
        Merge(needed.add(queryOffset), values, columns.add(referenceOffset));
    }

    /// <summary>
    /// Columns are grouped by <paramref name="group"/>; the top-t elements of a row lie in its t groups with the
    /// largest maxima, and every element outside the t chosen groups is at most the t-th value found, so the
    /// top-t values (and the k-th vs (k+1)-th tie test) are exact. Cuts the top-k work to about 2·sqrt(t·n) per row.
    /// </summary>
    private static (Tensor Values, Tensor Columns) TopViaGroups(Tensor block, Tensor groupMax, Tensor rows, long group, int t)
    {
        long n = block.shape[1];
        var (_, groups) = groupMax.topk(t, 1, largest: true, sorted: false);
        var offsets = torch.arange(group, ScalarType.Int64, block.device);
        var columns = groups.mul(group).unsqueeze(2).add(offsets).flatten(1);
        var flat = rows.mul(n).unsqueeze(1).add(columns);
        var candidates = block.flatten().index_select(0, flat.flatten()).view(flat.shape);
        var (values, positions) = candidates.topk(t, 1, largest: true, sorted: true);
        return (values, columns.gather(1, positions));
    }

    /// <summary>A power-of-two group width near sqrt(n / (k+1)) dividing n, or 0 when grouping does not pay.</summary>
    private static long GroupWidth(long n, int k)
    {
        long group = 1;
        while (group * 2 * group * 2 * (k + 1) <= n) group *= 2;
        return group >= 4 && n % group == 0 && n / group >= 2 * (k + 1) ? group : 0;
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
