using ResearchKit.Metrics;
using TorchSharp;
using static TorchSharp.torch;

// A frozen copy of the k-NN scan as it was before the block-summary rewrite (commit 16f07c5), kept only so that
// `sop-eval --legacy` can time old and new in the same process (the machine is shared, so timings across
// processes are not comparable). Not used by the library.
namespace ResearchKit.Benchmarks.Legacy;


/// <summary>
/// The one pass over exact cosine similarities: (chunk x chunk) blocks from a matrix product into a reused buffer,
/// each folded into the running top-k lists (and optionally the negative counts) before the next is computed, so the
/// full similarity matrix never exists. In the same-set setting only blocks on and above the diagonal are computed;
/// an off-diagonal block serves its rows and, transposed, its columns.
/// </summary>
internal static class LegacyBlockedKnnScan
{
    /// <summary>
    /// Runs the scan. <paramref name="references"/> null means the same-set setting (queries are the references and
    /// each query is excluded from its own list). Inputs are L2-normalised, on one device, of one dtype.
    /// Block order keeps each query's references arriving in ascending index order, which
    /// <see cref="LegacyRunningTopK.Offer"/> relies on.
    /// </summary>
    public static void Run(Tensor queries, Tensor? references, int chunk, LegacyRunningTopK topK, LegacyNegativeCounter? counter)
    {
        long nq = queries.shape[0];
        bool sameSet = references is null;
        var refs = references ?? queries;
        long nr = refs.shape[0];
        using var buffer = torch.empty((long)chunk * chunk, queries.dtype, queries.device);
        // Column side of off-diagonal blocks: a contiguous transposed copy, since top-k and row gathers on a
        // transposed view are several times slower than the copy.
        using var transposed = sameSet && nq > chunk ? torch.empty((long)chunk * chunk, queries.dtype, queries.device) : null;
        for (long i0 = 0; i0 < nq; i0 += chunk)
        {
            long m = Math.Min(chunk, nq - i0);
            using var rowsScope = torch.NewDisposeScope();
            var q = queries.narrow(0, i0, m);
            for (long j0 = sameSet ? i0 : 0; j0 < nr; j0 += chunk)
            {
                using var blockScope = torch.NewDisposeScope();
                long n = Math.Min(chunk, nr - j0);
                var block = buffer.narrow(0, 0, m * n).view(m, n);
                block.addmm_(q, refs.narrow(0, j0, n).t(), beta: 0, alpha: 1);
                bool diagonal = sameSet && j0 == i0;
                bool mirrored = sameSet && j0 != i0;
                if (diagonal) block.diagonal().fill_(double.NegativeInfinity);
                topK.Offer(block, i0, j0);
                if (mirrored)
                {
                    var columns = transposed!.narrow(0, 0, m * n).view(n, m);
                    columns.copy_(block.t());
                    topK.Offer(columns, j0, i0);
                }
                if (counter is null) continue;
                counter.MaskPositives(block, i0, j0);
                counter.Count(block, i0, j0);
                if (mirrored) counter.CountColumns(block, i0, j0);
            }
        }
    }
}

internal sealed class LegacyRunningTopK : IDisposable
{
    /// <summary>Placeholder index of an empty slot: loses every tie against a real reference.</summary>
    private const long EmptyIndex = long.MaxValue;

    public LegacyRunningTopK(long queryCount, int k, ScalarType dtype, Device device)
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



/// <summary>
/// For every query: R (the number of references with its label, itself excluded in the same-set setting), the
/// best similarity to such a reference and that reference's index (the lowest on exact ties). Lone queries
/// (R = 0) get similarity +inf and index -1, so that no reference ever counts as ranked above their (absent) match.
/// </summary>
internal sealed class LegacyBestPositive : IDisposable
{
    private LegacyBestPositive(Tensor relevantCount, Tensor similarity, Tensor index)
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
    /// query's candidates are one contiguous run, padded to the largest class; queries go in chunks so the
    /// gathered (chunk x largest class x D) tensor stays near <paramref name="chunkBytes"/>.
    /// </summary>
    public static LegacyBestPositive Find(Tensor queries, Tensor queryLabels, Tensor references, Tensor referenceLabels,
        bool sameSet, long chunkBytes)
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

        var similarity = torch.empty(nq, queries.dtype, device);
        var index = torch.empty(nq, ScalarType.Int64, device);
        var slots = torch.arange(width, ScalarType.Int64, device).unsqueeze(0);
        for (long c0 = 0; c0 < nq; c0 += chunk)
        {
            using var inner = torch.NewDisposeScope();
            long n = Math.Min(chunk, nq - c0);
            var q = queries.narrow(0, c0, n);
            var position = start.narrow(0, c0, n).unsqueeze(1).add(slots);
            var valid = slots.lt(classSize.narrow(0, c0, n).unsqueeze(1));
            var refIndex = order.index_select(0, position.clamp_max(order.shape[0] - 1).flatten()).view(n, width);
            if (sameSet)
                valid = valid.logical_and(refIndex.ne(torch.arange(c0, c0 + n, 1, ScalarType.Int64, device).unsqueeze(1)));
            var gathered = references.index_select(0, refIndex.flatten()).view(n, width, d);
            var sims = torch.bmm(gathered, q.unsqueeze(2)).squeeze(2).masked_fill(valid.logical_not(), double.NegativeInfinity);
            var best = sims.amax(new long[] { 1 });
            var isBest = sims.eq(best.unsqueeze(1)).logical_and(valid);
            var bestIndex = refIndex.masked_fill(isBest.logical_not(), long.MaxValue).amin(new long[] { 1 });
            var lone = valid.any(1).logical_not();
            similarity.narrow(0, c0, n).copy_(best.masked_fill(lone, double.PositiveInfinity));
            index.narrow(0, c0, n).copy_(bestIndex.masked_fill(lone, -1L));
        }
        var relevant = classSize.sub(sameSet ? 1 : 0);
        return new LegacyBestPositive(relevant.MoveToOuterDisposeScope(), similarity.MoveToOuterDisposeScope(),
            index.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        RelevantCount.Dispose();
        Similarity.Dispose();
        Index.Dispose();
    }
}



/// <summary>
/// Counts, per query, the references of another label that rank above its best same-label reference, i.e. with a
/// higher similarity, or an equal one and a lower index. Then the rank of the first relevant neighbour is
/// 1 + count, and Recall@k for any k is a comparison, without a top-k list of length k.
/// Fused into the block loop: one masked comparison and sum per block and side.
/// </summary>
internal sealed class LegacyNegativeCounter : IDisposable
{
    private readonly Tensor queryLabels;
    private readonly Tensor referenceLabels;
    private readonly Tensor best;        // s*: best same-label similarity (+inf when lone)
    private readonly Tensor bestBelow;   // the float just below s*: "> bestBelow" means ">= s*"
    private readonly Tensor bestIndex;   // i*: its reference index (-1 when lone)

    public LegacyNegativeCounter(Tensor queryLabels, Tensor referenceLabels, LegacyBestPositive bestPositive)
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
    /// are references <c>referenceOffset..</c>.
    /// </summary>
    public void Count(Tensor maskedBlock, long queryOffset, long referenceOffset) =>
        Count(maskedBlock, queryOffset, referenceOffset, queryAxis: 0);

    /// <summary>
    /// The column side of a same-set block: its columns are queries <c>columnOffset..</c> and its rows references
    /// <c>rowOffset..</c>. Reduces over rows in place of a transposed copy.
    /// </summary>
    public void CountColumns(Tensor maskedBlock, long rowOffset, long columnOffset) =>
        Count(maskedBlock, columnOffset, rowOffset, queryAxis: 1);

    private void Count(Tensor maskedBlock, long queryOffset, long referenceOffset, int queryAxis)
    {
        using var scope = torch.NewDisposeScope();
        int referenceAxis = 1 - queryAxis;
        long m = maskedBlock.shape[queryAxis], n = maskedBlock.shape[referenceAxis];
        var s = best.narrow(0, queryOffset, m);
        var i = bestIndex.narrow(0, queryOffset, m);
        // Blocks wholly before i*: ties count (>= s*); from i* on: only strictly better ones count.
        var threshold = torch.where(i.ge(referenceOffset + n), bestBelow.narrow(0, queryOffset, m), s).unsqueeze(referenceAxis);
        var add = maskedBlock.gt(threshold).sum(new long[] { referenceAxis }, type: ScalarType.Int32);
        Counts.narrow(0, queryOffset, m).add_(add);

        // Queries whose i* lies inside this block: ties before i* count too.
        var inside = i.ge(referenceOffset).logical_and(i.lt(referenceOffset + n)).nonzero().squeeze(1);
        if (inside.shape[0] == 0) return;
        var rows = queryAxis == 0 ? maskedBlock.index_select(0, inside) : maskedBlock.index_select(1, inside).t();
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

/// <summary>The same-set evaluation pipeline of RetrievalEvaluator, on the legacy scan.</summary>
internal static class LegacyEvaluator
{
    public static (double PrecisionAt1, double RPrecision, double MapAtR, SortedDictionary<int, double> RecallAt) Evaluate(
        Tensor embeddings, Tensor labels, IReadOnlyList<int> recallKs, int chunk)
    {
        using var scope = torch.NewDisposeScope();
        var q = ExactCosineKnn.Normalize(embeddings);
        var ql = labels.to_type(ScalarType.Int64);
        long nq = q.shape[0];
        var relevantCount = LegacyBestPositive.CountRelevant(ql, ql, true);
        int width = (int)Math.Min(nq - 1, Math.Max(1, relevantCount.max().item<long>()));
        using var topK = new LegacyRunningTopK(nq, width, q.dtype, q.device);
        using var best = LegacyBestPositive.Find(q, ql, q, ql, true, chunkBytes: 64L << 20);
        using var counter = new LegacyNegativeCounter(ql, ql, best);
        LegacyBlockedKnnScan.Run(q, null, chunk, topK, counter);
        var relevant = ql.index_select(0, topK.Indices.flatten()).view(nq, width).eq(ql.unsqueeze(1));
        var (p1, rPrecision, mapAtR, _) = RetrievalScores.Pml(relevant, relevantCount);
        var rank = RetrievalScores.FirstRelevantRank(relevant, relevantCount, counter.Counts, countsOnly: false);
        return (p1, rPrecision, mapAtR, RetrievalScores.RecallAt(rank, recallKs));
    }
}
