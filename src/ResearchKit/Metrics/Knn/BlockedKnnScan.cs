using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// The one pass over exact cosine similarities: (chunk x chunk) blocks from a matrix product into a reused buffer,
/// each folded into the running top-k lists (and optionally the negative counts) by one SIMD pass over its memory
/// (<see cref="BlockSelection{T}"/>) before the next is computed, so the full similarity matrix never exists. In the
/// same-set setting only blocks on and above the diagonal are computed; an off-diagonal block serves its rows and its
/// columns, and each pair above a diagonal block's diagonal serves both its queries.
/// <para>
/// Products: float32 on x86 CPUs from the kit's kernel (<see cref="FmaProducts"/>, each similarity one fused
/// multiply-add chain, so every copy of a pair's number is the same; a diagonal block computes only the tiles that
/// reach above its diagonal). Otherwise torch's products, a diagonal block as a staircase of row strips
/// (<see cref="DiagonalStrips"/>) covering its upper triangle: the strips' products are bit-identical to those of the
/// whole block and to the mirrored ones (checked on SOP-shaped data, MKL on x86). The floor of issue 14
/// (<see cref="ProductsOnly"/>) is torch's products of whole blocks.
/// </para>
/// <para>
/// On CPU the blocks are shared among several workers, each a dedicated thread running a single-threaded product on
/// its own buffer and then folding it in: one worker's fold overlaps the other's next product, so on two cores the
/// selection hides behind the products. A fold holds the locks of the block's two query ranges (lower range first);
/// workers offset themselves after the first block, so they rarely wait. Results do not depend on the workers or the
/// block order. On other devices the products stay there and each block is copied to the host for the fold.
/// </para>
/// </summary>
internal static class BlockedKnnScan
{
    /// <summary>What the scan found: neighbour lists and, when asked for, negative counts (tensors on the queries' device).</summary>
    public sealed record Output(Tensor Indices, Tensor Values, Tensor? NegativeCounts) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose()
        {
            Indices.Dispose();
            Values.Dispose();
            NegativeCounts?.Dispose();
        }
    }

    /// <summary>Negative counting against each query's best positive (see <see cref="NegativeCounter{T}"/>).</summary>
    public sealed record Counting(Tensor QueryLabels, Tensor ReferenceLabels, BestPositive Best, long Cap);

    /// <summary>
    /// Runs the scan. <paramref name="references"/> null means the same-set setting (queries are the references and
    /// each query is excluded from its own list). Inputs are L2-normalised, on one device, of one dtype (float32 or
    /// float64). <paramref name="workers"/> &gt; 1 runs blocks concurrently on CPU (ignored on other devices).
    /// </summary>
    public static Output Run(Tensor queries, Tensor? references, int chunk, int k, Counting? counting, int workers = 1) =>
        queries.dtype switch
        {
            ScalarType.Float32 => Run<float>(queries, references, chunk, k, counting, workers),
            ScalarType.Float64 => Run<double>(queries, references, chunk, k, counting, workers),
            var other => throw new ArgumentException($"expected float32 or float64 embeddings, got {other}", nameof(queries)),
        };

    private static Output Run<T>(Tensor queries, Tensor? references, int chunk, int k, Counting? counting, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plan = new ScanPlan(queries, references, chunk, FmaProducts.AppliesTo(queries));
        var topK = new RunningTopK<T>(plan.QueryCount, k);
        var counter = counting is null ? null : new NegativeCounter<T>(counting.QueryLabels, counting.ReferenceLabels, counting.Best, counting.Cap);
        var selection = new BlockSelection<T>(topK, counter);
        // One lock per query range: the row side of block (i, j) touches range i, its column side range j.
        var locks = Enumerable.Range(0, (int)((plan.QueryCount + chunk - 1) / chunk)).Select(_ => new object()).ToArray();
        ForEachBlock(plan, workers, queries.device, (worker, i0, j0) =>
        {
            using var scope = torch.NewDisposeScope();
            bool diagonal = plan.SameSet && i0 == j0;
            var values = diagonal ? plan.UpperProduct(worker, i0) : plan.Product(worker, i0, j0);
            var host = values.device_type == DeviceType.CPU ? values : values.cpu();
            var sides = diagonal ? BlockSides.UpperTriangle : plan.SameSet ? BlockSides.RowsAndColumns : BlockSides.Rows;
            // Column ranges are query ranges only in the same-set setting; then i0 <= j0, so locks go in range order
            // (a diagonal block takes its one lock twice, which Monitor allows).
            lock (locks[i0 / chunk])
                lock (plan.SameSet ? locks[j0 / chunk] : locks[i0 / chunk])
                    selection.Fold(MemoryMarshal.Cast<byte, T>(host.bytes), (int)host.shape[0], (int)host.shape[1], i0, j0, sides);
        });
        var device = queries.device;
        return new Output(topK.IndicesTensor(device), topK.ValuesTensor(queries.dtype, device), counter?.CountsTensor(device));
    }

    /// <summary>
    /// The bare block products of the same scan, without selection. By default the floor for exact search that
    /// issue 14 names: torch's (BLAS) products of the same blocks, diagonal blocks computed whole. With
    /// <paramref name="scanProducts"/> the products exactly as the scan computes them (its kernel where it applies,
    /// its diagonal staircase), so that the scan's cost above its own products can be read off.
    /// </summary>
    public static void ProductsOnly(Tensor queries, Tensor? references, int chunk, int workers = 1, bool scanProducts = false)
    {
        var plan = new ScanPlan(queries, references, chunk, useKernel: scanProducts && FmaProducts.AppliesTo(queries));
        ForEachBlock(plan, workers, queries.device, (worker, i0, j0) =>
        {
            using var scope = torch.NewDisposeScope();
            if (scanProducts && plan.SameSet && i0 == j0) plan.UpperProduct(worker, i0);
            else plan.Product(worker, i0, j0);
        });
    }

    /// <summary>Floating-point operations of the floor's products, <see cref="ProductsOnly"/> (2 per multiply-add).</summary>
    public static double ProductFlops(long nq, long nr, long d, int chunk, bool sameSet)
    {
        double flops = 0;
        for (long i0 = 0; i0 < nq; i0 += chunk)
            for (long j0 = sameSet ? i0 : 0; j0 < nr; j0 += chunk)
                flops += 2.0 * Math.Min(chunk, nq - i0) * Math.Min(chunk, nr - j0) * d;
        return flops;
    }

    /// <summary>Calls <paramref name="process"/> once per block with a worker's own state (see <see cref="ScanWorkers"/>).</summary>
    private static void ForEachBlock(ScanPlan plan, int workers, Device device, Action<Worker, long, long> process)
    {
        var blocks = plan.Blocks();
        ScanWorkers.Run(workers, device, blocks.Count, plan.NewWorker, (worker, b) => process(worker, blocks[b].I0, blocks[b].J0));
    }

    /// <summary>A scan worker's own memory: its block buffer and, with the kernel, the packed columns of its current block column.</summary>
    private sealed class Worker(Tensor buffer, FmaProducts.PackedColumns? columns) : IDisposable
    {
        public Tensor Buffer { get; } = buffer;
        public FmaProducts.PackedColumns? Columns { get; } = columns;

        public void Dispose()
        {
            Buffer.Dispose();
            Columns?.Dispose();
        }
    }

    /// <summary>Block geometry and the products.</summary>
    private sealed class ScanPlan
    {
        private readonly Tensor queries;
        private readonly Tensor refs;
        private readonly int chunk;

        /// <summary>Products from <see cref="FmaProducts"/> (float32 on x86 CPUs) rather than torch's.</summary>
        private readonly bool useKernel;

        public ScanPlan(Tensor queries, Tensor? references, int chunk, bool useKernel)
        {
            // The kernel reads rows in place, so it needs them contiguous (F.normalize's output already is).
            this.useKernel = useKernel;
            this.queries = useKernel ? queries.contiguous() : queries;
            refs = references is null ? this.queries : useKernel ? references.contiguous() : references;
            this.chunk = chunk;
            SameSet = references is null;
            QueryCount = queries.shape[0];
            ReferenceCount = refs.shape[0];
        }

        public bool SameSet { get; }
        public long QueryCount { get; }
        public long ReferenceCount { get; }

        /// <summary>
        /// Column-major block list (same-set: only blocks on and above the diagonal), so that a worker packs each
        /// block column for the kernel once and reuses it down the column.
        /// </summary>
        public List<(long I0, long J0)> Blocks()
        {
            var list = new List<(long, long)>();
            for (long j0 = 0; j0 < ReferenceCount; j0 += chunk)
                for (long i0 = 0; i0 < (SameSet ? j0 + 1 : QueryCount); i0 += chunk)
                    list.Add((i0, j0));
            return list;
        }

        /// <summary>A worker's state: room for chunk x chunk products, and packed columns when the kernel runs.</summary>
        public Worker NewWorker() =>
            new(torch.empty((long)chunk * chunk, queries.dtype, queries.device), useKernel ? new FmaProducts.PackedColumns() : null);

        /// <summary>The block's products in the worker's buffer, as a contiguous (m x n) view.</summary>
        public Tensor Product(Worker worker, long i0, long j0)
        {
            long m = Math.Min(chunk, QueryCount - i0), n = Math.Min(chunk, ReferenceCount - j0);
            var values = worker.Buffer.narrow(0, 0, m * n).view(m, n);
            if (useKernel) KernelInto(worker, values, i0, j0, upperOnly: false);
            else MultiplyInto(values, i0, j0);
            return values;
        }

        /// <summary>
        /// The same-set diagonal block at (<paramref name="i0"/>, <paramref name="i0"/>) in the worker's buffer as a
        /// contiguous (m x m) view, of which only the part above the diagonal is read. With the kernel, whole tiles
        /// below the diagonal are skipped. Otherwise the products are a staircase of strips on and above the diagonal
        /// (see <see cref="DiagonalStrips"/>): 37.5 % fewer multiply-adds than the whole block at edge 1,024. Each
        /// strip's product writes through a strided view, so its values lie where a whole-block product puts them.
        /// </summary>
        public Tensor UpperProduct(Worker worker, long i0)
        {
            long m = Math.Min(chunk, QueryCount - i0);
            var values = worker.Buffer.narrow(0, 0, m * m).view(m, m);
            if (useKernel)
            {
                // The kernel skips whole tiles below the diagonal itself; its sums do not depend on the tile.
                KernelInto(worker, values, i0, i0, upperOnly: true);
                return values;
            }
            foreach (var (r0, rows) in DiagonalStrips(m))
                MultiplyInto(values.narrow(0, r0, rows).narrow(1, r0, m - r0), i0 + r0, i0 + r0);
            return values;
        }

        /// <summary>The kernel's products of queries [q0, q0 + m) with references [r0, r0 + n) into the contiguous (m x n) <paramref name="target"/>.</summary>
        private unsafe void KernelInto(Worker worker, Tensor target, long q0, long r0, bool upperOnly)
        {
            var columns = worker.Columns!;
            int m = (int)target.shape[0], n = (int)target.shape[1], d = (int)queries.shape[1];
            // Pointers of the block's own rows: a span over the whole set would overflow past 2 GiB.
            if (columns.Key != r0)
                using (var rows = refs.narrow(0, r0, n)) columns.Pack(FmaProducts.Pointer(rows), n, d, key: r0);
            using var queryRows = queries.narrow(0, q0, m);
            FmaProducts.Multiply(FmaProducts.Pointer(queryRows), d, m, columns, FmaProducts.Pointer(target), n, upperOnly);
        }

        /// <summary>Writes queries [q0, q0 + rows) · references [r0, r0 + columns)ᵀ into the (rows x columns) <paramref name="target"/>.</summary>
        private void MultiplyInto(Tensor target, long q0, long r0) =>
            target.addmm_(queries.narrow(0, q0, target.shape[0]), refs.narrow(0, r0, target.shape[1]).t(), beta: 0, alpha: 1);
    }

    /// <summary>
    /// Rows per strip of a diagonal block: strip [r0, r0 + rows) is multiplied with columns [r0, m) only. Strips of
    /// 256 rows skip 37.5 % of a 1,024-edge block (128 rows: 43.75 %, in smaller products); 128 was not faster in the
    /// one (loaded) comparison, see docs/speed-eval-and-peers.md.
    /// </summary>
    internal const int DiagonalStripRows = 256;

    /// <summary>
    /// Fewest rows of a strip: products with fewer than 4 rows round differently from larger ones (another MKL
    /// kernel, see <see cref="BestPositive"/>), so a short remainder joins the strip before it.
    /// </summary>
    private const int MinStripRows = 8;

    /// <summary>The row strips (first row, rows) of a diagonal block of edge <paramref name="m"/>.</summary>
    internal static IEnumerable<(long R0, long Rows)> DiagonalStrips(long m)
    {
        for (long r0 = 0; r0 < m;)
        {
            long rows = m - r0 < DiagonalStripRows + MinStripRows ? m - r0 : DiagonalStripRows;
            yield return (r0, rows);
            r0 += rows;
        }
    }
}
