using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Counts, per query, the references of another label that rank above its best same-label reference, i.e. with a
/// higher similarity, or an equal one and a lower index. Then the rank of the first relevant neighbour is
/// 1 + count, and Recall@k for any k is a comparison, without a top-k list of length k.
/// Fused into the block loop on the block's group maxima: only the members of groups whose maximum reaches the query's
/// best positive (s*), for queries whose count is still below <see cref="Cap"/>, are compared, on the very values
/// the top-k lists see, and same-label references are left out by their labels (no mask over the block).
/// Thread safety as <see cref="RunningTopK"/>: one gate object per query range.
/// </summary>
internal sealed class NegativeCounter : IDisposable
{
    private readonly Tensor queryLabels;
    private readonly Tensor referenceLabels;
    private readonly Tensor best;        // s*: best same-label similarity (+inf when lone)
    private readonly Tensor bestBelow;   // the float just below s*: "> bestBelow" means ">= s*"
    private readonly Tensor bestIndex;   // i*: its reference index (-1 when lone)

    /// <param name="queryLabels">Query labels (int64).</param>
    /// <param name="referenceLabels">Reference labels (int64).</param>
    /// <param name="bestPositive">s* and i* per query.</param>
    /// <param name="cap">Counts stop being updated once they reach this (the largest k asked for needs no more).</param>
    public NegativeCounter(Tensor queryLabels, Tensor referenceLabels, BestPositive bestPositive, long cap = long.MaxValue)
    {
        this.queryLabels = queryLabels;
        this.referenceLabels = referenceLabels;
        best = bestPositive.Similarity;
        bestIndex = bestPositive.Index;
        bestBelow = torch.nextafter(best, torch.full_like(best, double.NegativeInfinity));
        Counts = torch.zeros(best.shape[0], ScalarType.Int64, best.device);
        Cap = cap;
    }

    /// <summary>
    /// Per query: the negatives ranked above its best positive (int64); a count at or above <see cref="Cap"/> means
    /// "at least Cap".
    /// </summary>
    public Tensor Counts { get; }

    /// <summary>Counts at or above this value are final.</summary>
    public long Cap { get; }

    /// <summary>Adds the block's row side: rows are queries <c>queryOffset..</c>, columns references <c>referenceOffset..</c>.</summary>
    public void CountRows(SimilarityBlock block, long queryOffset, long referenceOffset, object gate)
    {
        using var scope = torch.NewDisposeScope();
        // Hot groups: (row, strided column group) pairs whose maximum reaches s*; only their members can count.
        var groupMax = block.RowGroupMax;
        long groups = groupMax.shape[1];
        var hot = Hot(groupMax, block.RowMax, queryOffset, block.Rows, queryAxis: 0, gate);
        if (hot is null) return;
        var (row, group) = (hot.select(1, 0), hot.select(1, 1));
        var column = group.unsqueeze(1).add(torch.arange(block.RowGroupWidth, ScalarType.Int64, row.device).mul(groups));
        var values = block.Values.flatten().index_select(0, row.mul(block.PaddedColumns).unsqueeze(1).add(column).flatten()).view(column.shape);
        // Padding columns hold -inf and never count; clamp only so that their label lookup stays in range.
        Add(values, row.add(queryOffset), column.clamp_max(block.Columns - 1).add(referenceOffset), gate);
    }

    /// <summary>
    /// Adds the block's column side (same-set setting): columns are queries <c>queryOffset..</c>, rows references
    /// <c>referenceOffset..</c>.
    /// </summary>
    public void CountColumns(SimilarityBlock block, long referenceOffset, long queryOffset, object gate)
    {
        using var scope = torch.NewDisposeScope();
        var groupMax = block.ColumnGroupMax!;
        var hot = Hot(groupMax, block.ColumnMax!, queryOffset, block.Columns, queryAxis: 1, gate);
        if (hot is null) return;
        var (group, column) = (hot.select(1, 0), hot.select(1, 1));
        var row = group.mul(block.ColumnGroupWidth).unsqueeze(1).add(torch.arange(block.ColumnGroupWidth, ScalarType.Int64, group.device));
        var values = block.Values.flatten().index_select(0, row.mul(block.PaddedColumns).add(column.unsqueeze(1)).flatten()).view(row.shape);
        Add(values, column.add(queryOffset), row.add(referenceOffset), gate);
    }

    /// <summary>
    /// The (group-axis, query-axis) positions of <paramref name="groupMax"/> whose maximum reaches s* of a query whose
    /// count is still below the cap, or null if none. Queries whose block maximum stays below s* are dropped first.
    /// </summary>
    private Tensor? Hot(Tensor groupMax, Tensor blockMax, long queryOffset, long count, int queryAxis, object gate)
    {
        Tensor open;
        lock (gate) open = Counts.narrow(0, queryOffset, count).lt(Cap);
        var below = bestBelow.narrow(0, queryOffset, count);
        var queries = blockMax.gt(below).logical_and_(open).nonzero().squeeze(1);
        if (queries.shape[0] == 0) return null;
        var hot = groupMax.index_select(queryAxis, queries).gt(below.index_select(0, queries).unsqueeze(1 - queryAxis)).nonzero();
        // Back from positions among the selected queries to positions in the block.
        hot.select(1, queryAxis).copy_(queries.index_select(0, hot.select(1, queryAxis)));
        return hot;
    }

    /// <summary>
    /// Counts the negatives among candidate references (one row of candidates per entry of <paramref name="queries"/>,
    /// global indices): value above s*, or equal with an index below i*; same-label references never count.
    /// </summary>
    private void Add(Tensor values, Tensor queries, Tensor references, object gate)
    {
        var s = best.index_select(0, queries).unsqueeze(1);
        var i = bestIndex.index_select(0, queries).unsqueeze(1);
        var above = values.gt(s).logical_or_(values.eq(s).logical_and_(references.lt(i)));
        // With s* taken from products like the scan's no positive exceeds it; the label test keeps the counts exact
        // even where another kernel rounds the two differently.
        var negative = referenceLabels.index_select(0, references.flatten()).view(references.shape).ne(queryLabels.index_select(0, queries).unsqueeze(1));
        var add = above.logical_and_(negative).sum(new long[] { 1 }, type: ScalarType.Int64);
        lock (gate) Counts.index_add_(0, queries, add, 1);
    }

    public void Dispose()
    {
        bestBelow.Dispose();
        Counts.Dispose();
    }
}
