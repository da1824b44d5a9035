using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Counts, per query, the references of another label that rank above its best same-label reference, i.e. with a
/// higher similarity, or an equal one and a lower index. Then the rank of the first relevant neighbour is
/// 1 + count, and Recall@k for any k is a comparison, without a top-k list of length k.
/// Fused into the block loop: one masked comparison and sum per block and side.
/// </summary>
internal sealed class NegativeCounter : IDisposable
{
    private readonly Tensor queryLabels;
    private readonly Tensor referenceLabels;
    private readonly Tensor best;        // s*: best same-label similarity (+inf when lone)
    private readonly Tensor bestBelow;   // the float just below s*: "> bestBelow" means ">= s*"
    private readonly Tensor bestIndex;   // i*: its reference index (-1 when lone)

    public NegativeCounter(Tensor queryLabels, Tensor referenceLabels, BestPositive bestPositive)
    {
        this.queryLabels = queryLabels;
        this.referenceLabels = referenceLabels;
        best = bestPositive.Similarity;
        bestIndex = bestPositive.Index;
        bestBelow = torch.nextafter(best, torch.full_like(best, double.NegativeInfinity));
        Counts = torch.zeros(best.shape[0], ScalarType.Int64, best.device);
    }

    /// <summary>Per query: the negatives ranked above its best positive (int64).</summary>
    public Tensor Counts { get; }

    /// <summary>
    /// Removes same-label pairs from the block (sets them to -inf, in place). Call after the top-k lists took
    /// the block. <paramref name="rowOffset"/> indexes <c>queryLabels</c>; in the same-set setting both are the same.
    /// </summary>
    public void MaskPositives(Tensor block, long rowOffset, long columnOffset)
    {
        using var scope = torch.NewDisposeScope();
        long m = block.shape[0], n = block.shape[1];
        var rowLabels = queryLabels.narrow(0, rowOffset, m).unsqueeze(1);
        var columnLabels = referenceLabels.narrow(0, columnOffset, n).unsqueeze(0);
        block.masked_fill_(rowLabels.eq(columnLabels), double.NegativeInfinity);
    }

    /// <summary>
    /// Adds the counts of a positives-masked block whose rows are queries <c>queryOffset..</c> and whose columns
    /// are references <c>referenceOffset..</c> (pass a transposed view for the column side of a same-set block).
    /// </summary>
    public void Count(Tensor maskedBlock, long queryOffset, long referenceOffset)
    {
        using var scope = torch.NewDisposeScope();
        long m = maskedBlock.shape[0], n = maskedBlock.shape[1];
        var s = best.narrow(0, queryOffset, m);
        var i = bestIndex.narrow(0, queryOffset, m);
        // Blocks wholly before i*: ties count (>= s*); from i* on: only strictly better ones count.
        var threshold = torch.where(i.ge(referenceOffset + n), bestBelow.narrow(0, queryOffset, m), s);
        var add = maskedBlock.gt(threshold.unsqueeze(1)).sum(1, type: ScalarType.Int32);
        Counts.narrow(0, queryOffset, m).add_(add);

        // Queries whose i* lies inside this block: ties before i* count too.
        var inside = i.ge(referenceOffset).logical_and(i.lt(referenceOffset + n)).nonzero().squeeze(1);
        if (inside.shape[0] == 0) return;
        var rows = maskedBlock.index_select(0, inside);
        var ties = rows.eq(s.index_select(0, inside).unsqueeze(1));
        var columns = torch.arange(referenceOffset, referenceOffset + n, 1, ScalarType.Int64, maskedBlock.device).unsqueeze(0);
        var before = columns.lt(i.index_select(0, inside).unsqueeze(1));
        var extra = ties.logical_and(before).sum(1);
        Counts.index_add_(0, inside.add(queryOffset), extra, 1);
    }

    public void Dispose()
    {
        bestBelow.Dispose();
        Counts.Dispose();
    }
}
