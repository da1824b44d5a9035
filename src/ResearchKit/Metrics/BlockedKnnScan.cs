using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// The one pass over exact cosine similarities: (chunk x chunk) blocks from a matrix product into a reused buffer,
/// each summarised once (<see cref="SimilarityBlock"/>) and folded into the running top-k lists (and optionally the
/// negative counts) before the next is computed, so the full similarity matrix never exists. In the same-set setting
/// only blocks on and above the diagonal are computed; an off-diagonal block serves its rows and its columns.
/// <para>
/// On CPU the blocks can be shared among several workers, each a dedicated thread running single-threaded tensor ops
/// on its own buffer: small block operations then run without a fork/join barrier each, which on a few (possibly
/// shared) cores costs more than the operations themselves. Results do not depend on the workers or the block order.
/// </para>
/// </summary>
internal static class BlockedKnnScan
{
    /// <summary>
    /// Runs the scan. <paramref name="references"/> null means the same-set setting (queries are the references and
    /// each query is excluded from its own list). Inputs are L2-normalised, on one device, of one dtype.
    /// <paramref name="workers"/> &gt; 1 runs blocks concurrently on CPU (ignored on other devices).
    /// </summary>
    public static void Run(Tensor queries, Tensor? references, int chunk, RunningTopK topK, NegativeCounter? counter, int workers = 1)
    {
        var plan = new ScanPlan(queries, references, chunk, topK.K);
        // One gate per query range: the row side of block (i, j) touches range i, its column side range j.
        var gates = Enumerable.Range(0, (int)((plan.QueryCount + chunk - 1) / chunk)).Select(_ => new object()).ToArray();
        void Process(Tensor buffer, long i0, long j0)
        {
            using var scope = torch.NewDisposeScope();
            var block = plan.Compute(buffer, i0, j0);
            var rowGate = gates[i0 / chunk];
            topK.OfferRows(block, i0, j0, rowGate);
            counter?.CountRows(block, i0, j0, rowGate);
            if (block.ColumnMax is null) return;
            var columnGate = gates[j0 / chunk];
            topK.OfferColumns(block, i0, j0, columnGate);
            counter?.CountColumns(block, i0, j0, columnGate);
        }
        ForEachBlock(plan, workers, queries.device, Process);
    }

    /// <summary>The bare block products of the same scan, without selection: the floor for exact search.</summary>
    public static void ProductsOnly(Tensor queries, Tensor? references, int chunk, int workers = 1)
    {
        var plan = new ScanPlan(queries, references, chunk, neighbours: 0);
        ForEachBlock(plan, workers, queries.device, (buffer, i0, j0) =>
        {
            using var scope = torch.NewDisposeScope();
            plan.Product(buffer, i0, j0);
        });
    }

    /// <summary>Floating-point operations of the scan's products (2 per multiply-add).</summary>
    public static double ProductFlops(long nq, long nr, long d, int chunk, bool sameSet)
    {
        double flops = 0;
        for (long i0 = 0; i0 < nq; i0 += chunk)
            for (long j0 = sameSet ? i0 : 0; j0 < nr; j0 += chunk)
                flops += 2.0 * Math.Min(chunk, nq - i0) * Math.Min(chunk, nr - j0) * d;
        return flops;
    }

    /// <summary>Calls <paramref name="process"/> once per block with a worker's own buffer (see <see cref="ScanWorkers"/>).</summary>
    private static void ForEachBlock(ScanPlan plan, int workers, Device device, Action<Tensor, long, long> process)
    {
        var blocks = plan.Blocks();
        ScanWorkers.Run(workers, device, blocks.Count, plan.NewBuffer, (buffer, b) => process(buffer, blocks[b].I0, blocks[b].J0));
    }

    /// <summary>Block geometry: offsets, padding and group widths.</summary>
    private sealed class ScanPlan
    {
        private readonly Tensor queries;
        private readonly Tensor refs;
        private readonly int chunk;
        private readonly long rowGroupWidth;
        private readonly long columnGroupWidth;

        public ScanPlan(Tensor queries, Tensor? references, int chunk, int neighbours)
        {
            this.queries = queries;
            refs = references ?? queries;
            this.chunk = chunk;
            SameSet = references is null;
            QueryCount = queries.shape[0];
            ReferenceCount = refs.shape[0];
            // Groups of w with w² (k+1) <= chunk: a block side's candidates are then the (k+1) best of chunk / w group
            // maxima, times w members each, about 2·sqrt((k+1)·chunk) elements instead of chunk.
            long width = 1;
            while (neighbours > 0 && width * 2 * width * 2 * (neighbours + 1L) <= chunk) width *= 2;
            rowGroupWidth = width >= 4 ? width : 1;
            long columnWidth = rowGroupWidth;
            while (columnWidth > 1 && chunk % columnWidth != 0) columnWidth /= 2;
            columnGroupWidth = columnWidth >= 4 ? columnWidth : 1;
        }

        public bool SameSet { get; }
        public long QueryCount { get; }
        public long ReferenceCount { get; }

        /// <summary>Row-major block list; same-set: only blocks on and above the diagonal.</summary>
        public List<(long I0, long J0)> Blocks()
        {
            var list = new List<(long, long)>();
            for (long i0 = 0; i0 < QueryCount; i0 += chunk)
                for (long j0 = SameSet ? i0 : 0; j0 < ReferenceCount; j0 += chunk)
                    list.Add((i0, j0));
            return list;
        }

        /// <summary>A block buffer, room for chunk rows of chunk columns padded to the group width.</summary>
        public Tensor NewBuffer() => torch.empty(chunk * Pad(chunk), queries.dtype, queries.device);

        private long Pad(long columns) => (columns + rowGroupWidth - 1) / rowGroupWidth * rowGroupWidth;

        /// <summary>The block's products in <paramref name="buffer"/>, as an (m x padded n) view with -inf padding.</summary>
        public Tensor Product(Tensor buffer, long i0, long j0)
        {
            long m = Math.Min(chunk, QueryCount - i0), n = Math.Min(chunk, ReferenceCount - j0), width = Pad(n);
            var values = buffer.narrow(0, 0, m * width).view(m, width);
            values.narrow(1, 0, n).addmm_(queries.narrow(0, i0, m), refs.narrow(0, j0, n).t(), beta: 0, alpha: 1);
            if (width > n) values.narrow(1, n, width - n).fill_(double.NegativeInfinity);
            return values;
        }

        /// <summary>Products, the query itself excluded on diagonal blocks, and the summaries both sides need.</summary>
        public SimilarityBlock Compute(Tensor buffer, long i0, long j0)
        {
            var values = Product(buffer, i0, j0);
            long n = Math.Min(chunk, ReferenceCount - j0);
            bool diagonal = SameSet && i0 == j0;
            if (diagonal) values.diagonal().fill_(double.NegativeInfinity);
            // Column side: off-diagonal same-set blocks, which always have chunk rows.
            long columnWidth = SameSet && !diagonal ? columnGroupWidth : 0;
            return SimilarityBlock.Summarize(values, n, rowGroupWidth, columnWidth);
        }
    }
}
