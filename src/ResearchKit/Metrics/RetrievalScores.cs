using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Turns neighbour lists (and, for k beyond the lists, negative counts) into the metric values. All vectorised over
/// queries; only the final means leave the device.
/// </summary>
internal static class RetrievalScores
{
    /// <summary>The three PML metrics from lists at least max(R) wide. Returns (P@1, R-Precision, MAP@R, scored queries).</summary>
    public static (double PrecisionAt1, double RPrecision, double MapAtR, long Scored) Pml(
        Tensor relevant, Tensor relevantCount)
    {
        using var scope = torch.NewDisposeScope();
        long k = relevant.shape[1];
        var rel = relevant.to_type(ScalarType.Float64);
        var position = torch.arange(1, k + 1, 1, ScalarType.Float64, rel.device).unsqueeze(0);
        var r = relevantCount.to_type(ScalarType.Float64).unsqueeze(1);
        var withinR = position.le(r).to_type(ScalarType.Float64);
        var scored = relevantCount.gt(0);
        long scoredCount = scored.sum().item<long>();
        var safeR = r.clamp_min(1).squeeze(1);
        var rPrecision = rel.mul(withinR).sum(1).div(safeR);
        var averagePrecision = rel.mul(withinR).mul(rel.cumsum(1)).div(position).sum(1).div(safeR);
        double Mean(Tensor perQuery) => scoredCount == 0 ? double.NaN : perQuery.masked_select(scored).mean().item<double>();
        return (Mean(rel.select(1, 0)), Mean(rPrecision), Mean(averagePrecision), scoredCount);
    }

    /// <summary>
    /// Rank (1-based) of each query's first relevant neighbour: from the list when it holds one (unless
    /// <paramref name="countsOnly"/>), else 1 + the negatives counted above the best positive, else (no counts)
    /// "beyond the list". Lone queries get long.MaxValue.
    /// </summary>
    public static Tensor FirstRelevantRank(Tensor relevant, Tensor relevantCount, Tensor? negativeCounts, bool countsOnly)
    {
        using var scope = torch.NewDisposeScope();
        long k = relevant.shape[1];
        var position = torch.arange(1, k + 1, 1, ScalarType.Int64, relevant.device).unsqueeze(0);
        var fromList = torch.where(relevant, position, torch.tensor(k + 1, ScalarType.Int64, relevant.device)).amin(new long[] { 1 });
        Tensor rank = negativeCounts is null ? fromList
            : countsOnly ? negativeCounts.add(1)
            : torch.where(fromList.le(k), fromList, negativeCounts.add(1));
        return rank.masked_fill(relevantCount.le(0), long.MaxValue).MoveToOuterDisposeScope();
    }

    /// <summary>Recall@k = the fraction of all queries whose first relevant neighbour ranks within k.</summary>
    public static SortedDictionary<int, double> RecallAt(Tensor firstRelevantRank, IEnumerable<int> ks)
    {
        var result = new SortedDictionary<int, double>();
        foreach (var k in ks.Distinct())
        {
            using var hits = firstRelevantRank.le(k).to_type(ScalarType.Float64).mean();
            result[k] = hits.item<double>();
        }
        return result;
    }
}
