using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// For every query: R (the number of references with its label, itself excluded in the same-set setting), the
/// best similarity to such a reference and that reference's index (the lowest on exact ties). Lone queries
/// (R = 0) get similarity +inf and index -1, so that no reference ever counts as ranked above their (absent) match.
/// </summary>
internal sealed class BestPositive : IDisposable
{
    /// <summary>
    /// Queries per product: products with fewer than 4 rows round differently from larger ones (another kernel;
    /// measured with MKL on x86), so at least 8, with zero rows added to a short last group; up to 32 for small
    /// classes, where the loop's per-group overhead outweighs the wasted products (rows x the work needed).
    /// </summary>
    private static long CrossRows(long width) => Math.Clamp(256 / Math.Max(1, width), 8, 32);

    private BestPositive(Tensor relevantCount, Tensor similarity, Tensor index)
    {
        RelevantCount = relevantCount;
        Similarity = similarity;
        Index = index;
    }

    /// <summary>R per query (int64).</summary>
    public Tensor RelevantCount { get; }
    /// <summary>Best same-label similarity per query (+inf for lone queries).</summary>
    public Tensor Similarity { get; }
    /// <summary>Index of that reference (-1 for lone queries).</summary>
    public Tensor Index { get; }

    /// <summary>Relevant counts only: a cheap pass over the labels.</summary>
    public static Tensor CountRelevant(Tensor queryLabels, Tensor referenceLabels, bool sameSet)
    {
        using var scope = torch.NewDisposeScope();
        var sorted = referenceLabels.sort().Values;
        var count = torch.searchsorted(sorted, queryLabels, right: true).sub(torch.searchsorted(sorted, queryLabels));
        if (sameSet) count = count.sub(1);
        return count.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Gathers each query's same-label references class by class: the references are sorted by label, so a
    /// query's candidates are one contiguous run, padded to the largest class. The similarities come from a matrix
    /// product like the scan's (a few queries against all of their candidates, keeping each query's own), not from a
    /// batched matrix-vector product: the latter rounds differently in the last bits (most values on x86 MKL), and
    /// the negative counts compare the scan's values with s*. Queries go in groups of <see cref="CrossRows"/>.
    /// </summary>
    public static BestPositive Find(Tensor queries, Tensor queryLabels, Tensor references, Tensor referenceLabels,
        bool sameSet, long chunkBytes, int workers = 1)
    {
        using var scope = torch.NewDisposeScope();
        var device = queries.device;
        long nq = queries.shape[0], d = queries.shape[1];
        var (sortedLabels, order) = referenceLabels.sort(stable: true);
        var start = torch.searchsorted(sortedLabels, queryLabels);
        var classSize = torch.searchsorted(sortedLabels, queryLabels, right: true).sub(start);
        long width = Math.Max(1, classSize.max().item<long>());
        long elementBytes = queries.element_size();
        long chunk = Math.Clamp(chunkBytes / Math.Max(1, width * d * elementBytes), 1, nq);
        long crossRows = CrossRows(width);
        chunk = Math.Min(chunk, crossRows);

        var similarity = torch.empty(nq, queries.dtype, device);
        var index = torch.empty(nq, ScalarType.Int64, device);
        var slots = torch.arange(width, ScalarType.Int64, device).unsqueeze(0);
        // Groups of queries are independent and write disjoint slices: shared among the scan's workers.
        ScanWorkers.Run(workers, device, (int)((nq + chunk - 1) / chunk), () => new ScanWorkers.None(), (_, g) =>
        {
            using var inner = torch.NewDisposeScope();
            long c0 = g * chunk;
            long n = Math.Min(chunk, nq - c0);
            var q = queries.narrow(0, c0, n);
            // Fewer than CrossRows rows would take another kernel: pad with zero rows.
            if (n < crossRows) q = torch.cat(new[] { q, q.new_zeros(crossRows - n, d) });
            var position = start.narrow(0, c0, n).unsqueeze(1).add(slots);
            var valid = slots.lt(classSize.narrow(0, c0, n).unsqueeze(1));
            var refIndex = order.index_select(0, position.clamp_max(order.shape[0] - 1).flatten()).view(n, width);
            if (sameSet)
                valid = valid.logical_and(refIndex.ne(torch.arange(c0, c0 + n, 1, ScalarType.Int64, device).unsqueeze(1)));
            var gathered = references.index_select(0, refIndex.flatten());
            // (n x n·width) products, of which query i keeps its own width columns: the diagonal of the (n x n) grid.
            var cross = q.mm(gathered.t()).narrow(0, 0, n).view(n, n, width).diagonal(0, 0, 1).t();
            var sims = cross.masked_fill(valid.logical_not(), double.NegativeInfinity);
            var best = sims.amax(new long[] { 1 });
            var isBest = sims.eq(best.unsqueeze(1)).logical_and(valid);
            var bestIndex = refIndex.masked_fill(isBest.logical_not(), long.MaxValue).amin(new long[] { 1 });
            var lone = valid.any(1).logical_not();
            similarity.narrow(0, c0, n).copy_(best.masked_fill(lone, double.PositiveInfinity));
            index.narrow(0, c0, n).copy_(bestIndex.masked_fill(lone, -1L));
        });
        var relevant = classSize.sub(sameSet ? 1 : 0);
        return new BestPositive(relevant.MoveToOuterDisposeScope(), similarity.MoveToOuterDisposeScope(),
            index.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        RelevantCount.Dispose();
        Similarity.Dispose();
        Index.Dispose();
    }
}
