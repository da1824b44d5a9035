using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Counts, per query, the references of another label that rank above its best same-label reference, i.e. with a
/// higher similarity, or an equal one and a lower index. Then the rank of the first relevant neighbour is
/// 1 + count, and Recall@k for any k is a comparison, without a top-k list of length k.
/// Fused into the block loop: only the queries whose best candidate in the block reaches their best positive, and
/// whose count is still below <see cref="Cap"/>, are looked at; for those the block's values are compared and the
/// same-label references left out by their labels, on the very values the top-k lists see.
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
        var queries = Needed(block.RowMax, queryOffset, block.Rows, gate);
        if (queries is null) return;
        var sims = block.Values.narrow(1, 0, block.Columns).index_select(0, queries);
        Add(sims, queries, queryOffset, referenceOffset, gate);
    }

    /// <summary>
    /// Adds the block's column side (same-set setting): columns are queries <c>queryOffset..</c>, rows references
    /// <c>referenceOffset..</c>.
    /// </summary>
    public void CountColumns(SimilarityBlock block, long referenceOffset, long queryOffset, object gate)
    {
        using var scope = torch.NewDisposeScope();
        var queries = Needed(block.ColumnMax!, queryOffset, block.Columns, gate);
        if (queries is null) return;
        var sims = block.Values.narrow(1, 0, block.Columns).index_select(1, queries).t();
        Add(sims, queries, queryOffset, referenceOffset, gate);
    }

    /// <summary>Queries (positions in the range) that may have a negative to count here, or null if none.</summary>
    private Tensor? Needed(Tensor blockBest, long queryOffset, long count, object gate)
    {
        Tensor below;
        lock (gate) below = Counts.narrow(0, queryOffset, count).lt(Cap);
        var needed = blockBest.gt(bestBelow.narrow(0, queryOffset, count)).logical_and_(below).nonzero().squeeze(1);
        return needed.shape[0] == 0 ? null : needed;
    }

    /// <summary>Counts, for the given queries (rows of <paramref name="sims"/>), the negatives ranked above s*.</summary>
    private void Add(Tensor sims, Tensor queries, long queryOffset, long referenceOffset, object gate)
    {
        long n = sims.shape[1];
        var global = queries.add(queryOffset);
        var s = best.index_select(0, global).unsqueeze(1);
        var below = bestBelow.index_select(0, global).unsqueeze(1);
        var i = bestIndex.index_select(0, global).unsqueeze(1);
        var references = torch.arange(referenceOffset, referenceOffset + n, 1, ScalarType.Int64, sims.device).unsqueeze(0);
        // Before i* ties count too (>= s*), from i* on only strictly better values.
        var threshold = torch.where(references.lt(i), below, s);
        var negative = referenceLabels.narrow(0, referenceOffset, n).unsqueeze(0).ne(queryLabels.index_select(0, global).unsqueeze(1));
        var add = sims.gt(threshold).logical_and_(negative).sum(new long[] { 1 }, type: ScalarType.Int64);
        lock (gate) Counts.index_add_(0, global, add, 1);
    }

    public void Dispose()
    {
        bestBelow.Dispose();
        Counts.Dispose();
    }
}
