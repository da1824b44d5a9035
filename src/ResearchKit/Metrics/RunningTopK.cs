using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Each query's best <c>k</c> references seen so far, ordered by (similarity descending, reference index ascending).
/// Blocks of similarities are folded in from their row side (<see cref="OfferRows"/>) or column side
/// (<see cref="OfferColumns"/>). Every merge re-sorts on that composite key, and a query is skipped only when its best
/// candidate is strictly below its k-th value, so the result does not depend on the order in which blocks arrive
/// (which lets several workers feed one instance). Thread safety: callers serialise the calls that touch the same
/// queries by passing one gate object per query range.
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
    /// Offers the rows of a block: <c>block.Values</c> row i is query <c>queryOffset + i</c>, column j reference
    /// <c>referenceOffset + j</c> (columns from <c>block.Columns</c> on are padding and never chosen).
    /// </summary>
    public void OfferRows(SimilarityBlock block, long queryOffset, long referenceOffset, object gate)
    {
        using var scope = torch.NewDisposeScope();
        long m = block.Rows, n = block.Columns, width = block.PaddedColumns;
        int k = (int)Math.Min(K, n);
        var needed = Needed(block.RowMax, queryOffset, m, gate);
        if (needed is null) return;
        long count = needed.shape[0];
        bool all = count == m;
        var valid = block.Values.narrow(1, 0, n);
        Tensor ExactRows(Tensor rows) => valid.index_select(0, rows);

        Tensor values, columns;
        var groupMax = block.RowGroupMax;
        if (block.RowGroupWidth > 1 && groupMax.shape[1] >= 2 * (k + 1) && n >= 2 * (k + 1))
        {
            // Strided groups: group c holds columns c, c + G, c + 2G, ... (G groups).
            long groups = groupMax.shape[1];
            var (_, chosen) = (all ? groupMax : groupMax.index_select(0, needed)).topk(k + 1, 1, largest: true, sorted: false);
            var members = torch.arange(block.RowGroupWidth, ScalarType.Int64, chosen.device).mul(groups);
            columns = chosen.unsqueeze(2).add(members).flatten(1);
            var candidates = block.Values.flatten().index_select(0, needed.mul(width).unsqueeze(1).add(columns).flatten()).view(columns.shape);
            (values, columns) = TopK(candidates, columns, k, rows => ExactRows(needed.index_select(0, rows)));
        }
        else
        {
            var rows = all ? valid : ExactRows(needed);
            (values, columns) = TopK(rows, null, k, r => rows.index_select(0, r));
        }
        Merge(needed.add(queryOffset), values, columns.add(referenceOffset), gate);
    }

    /// <summary>
    /// Offers the columns of a block (the mirrored side of a same-set block): column j is query
    /// <c>queryOffset + j</c>, row i reference <c>referenceOffset + i</c>; only the first <c>block.Columns</c>
    /// columns are real. Candidates come from the row groups' maxima, so no transposed copy of the block is made.
    /// </summary>
    public void OfferColumns(SimilarityBlock block, long referenceOffset, long queryOffset, object gate)
    {
        using var scope = torch.NewDisposeScope();
        long m = block.Rows, n = block.Columns, width = block.PaddedColumns;
        int k = (int)Math.Min(K, m);
        var colMax = block.ColumnMax ?? throw new InvalidOperationException("column summaries were not computed");
        var needed = Needed(colMax, queryOffset, n, gate);
        if (needed is null) return;
        var valid = block.Values.narrow(1, 0, n);
        Tensor ExactColumns(Tensor queries) => valid.index_select(1, queries).t();

        Tensor values, rows;
        var groupMax = block.ColumnGroupMax!;
        if (block.ColumnGroupWidth > 1 && groupMax.shape[0] >= 2 * (k + 1) && m >= 2 * (k + 1))
        {
            // Contiguous row groups: group g holds rows g·w .. g·w + w - 1.
            long groupWidth = block.ColumnGroupWidth;
            var perQuery = groupMax.index_select(1, needed).t().contiguous();
            var (_, chosen) = perQuery.topk(k + 1, 1, largest: true, sorted: false);
            var members = torch.arange(groupWidth, ScalarType.Int64, chosen.device);
            rows = chosen.mul(groupWidth).unsqueeze(2).add(members).flatten(1);
            var flat = rows.mul(width).add(needed.unsqueeze(1));
            var candidates = block.Values.flatten().index_select(0, flat.flatten()).view(rows.shape);
            (values, rows) = TopK(candidates, rows, k, q => ExactColumns(needed.index_select(0, q)));
        }
        else
        {
            var columns = ExactColumns(needed).contiguous();
            (values, rows) = TopK(columns, null, k, q => columns.index_select(0, q));
        }
        Merge(needed.add(queryOffset), values, rows.add(referenceOffset), gate);
    }

    /// <summary>
    /// Queries (positions within the range) whose best candidate reaches their current k-th value, or null if none.
    /// Equal values are kept: from another block they may carry a lower index.
    /// </summary>
    private Tensor? Needed(Tensor best, long queryOffset, long count, object gate)
    {
        Tensor threshold;
        lock (gate) threshold = Values.narrow(0, queryOffset, count).select(1, K - 1).clone();
        var needed = best.ge(threshold).nonzero().squeeze(1);
        return needed.shape[0] == 0 ? null : needed;
    }

    /// <summary>
    /// The exact top-k of each row of <paramref name="candidates"/> (a superset of the row's top k+1), as values and
    /// positions (or <paramref name="positions"/> gathered). torch.topk picks arbitrarily among elements tied with the
    /// k-th; where the (k+1)-th equals the k-th that choice matters, and those rows (rare outside constructed ties) are
    /// redone from <paramref name="exactRows"/> (the full rows, in ascending reference order) with a stable sort.
    /// </summary>
    private static (Tensor Values, Tensor Positions) TopK(Tensor candidates, Tensor? positions, int k, Func<Tensor, Tensor> exactRows)
    {
        long length = candidates.shape[1];
        if (k + 1 > length)
        {
            var (sortedValues, order) = candidates.sort(1, descending: true, stable: true);
            var top = order.narrow(1, 0, k);
            return (sortedValues.narrow(1, 0, k), positions is null ? top : positions.gather(1, top));
        }
        var (values, index) = candidates.topk(k + 1, 1, largest: true, sorted: true);
        var chosen = positions is null ? index : positions.gather(1, index);
        var ambiguous = values.select(1, k).eq(values.select(1, k - 1)).nonzero().squeeze(1);
        values = values.narrow(1, 0, k);
        chosen = chosen.narrow(1, 0, k);
        if (ambiguous.shape[0] == 0) return (values, chosen);
        var (exactValues, exactPositions) = exactRows(ambiguous).sort(1, descending: true, stable: true);
        return (values.index_copy(0, ambiguous, exactValues.narrow(1, 0, k)),
            chosen.index_copy(0, ambiguous, exactPositions.narrow(1, 0, k)));
    }

    /// <summary>Merges candidates (at most k per row) into the kept lists of the given queries.</summary>
    private void Merge(Tensor queries, Tensor values, Tensor indices, object gate)
    {
        lock (gate)
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
    }

    public void Dispose()
    {
        Values.Dispose();
        Indices.Dispose();
    }
}
