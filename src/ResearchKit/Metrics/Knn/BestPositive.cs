using System.Numerics;
using System.Runtime.InteropServices;
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
    /// <summary>Most queries per window: with SOP's classes of 2-12 a window's product is then about 64 x 80.</summary>
    private const int WindowRows = 64;

    /// <summary>
    /// Fewest rows per product: products with fewer than 4 rows round differently from larger ones (another kernel;
    /// measured with MKL on x86), so a short window is padded with zero rows to 8.
    /// </summary>
    private const int MinProductRows = 8;

    /// <summary>Index of "no reference seen yet": loses every tie.</summary>
    private const long NoReference = long.MaxValue;

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
    /// Sorts queries and references by label, so that the candidates of a run of sorted queries are one contiguous
    /// run of sorted references, and takes windows of up to <see cref="WindowRows"/> queries: one matrix product of
    /// the window's queries against its references (in pieces of at most <paramref name="chunkBytes"/>), read on
    /// the host, each query looking only at its own class. The similarities come from a product like the scan's,
    /// not from a batched matrix-vector product: the latter rounds differently in the last bits (most values on
    /// x86 MKL), and the negative counts compare the scan's values with s*. Windows are shared among the scan's workers.
    /// </summary>
    public static BestPositive Find(Tensor queries, Tensor queryLabels, Tensor references, Tensor referenceLabels,
        bool sameSet, long chunkBytes, int workers = 1) =>
        queries.dtype switch
        {
            ScalarType.Float32 => Find<float>(queries, queryLabels, references, referenceLabels, sameSet, chunkBytes, workers),
            ScalarType.Float64 => Find<double>(queries, queryLabels, references, referenceLabels, sameSet, chunkBytes, workers),
            var other => throw new ArgumentException($"expected float32 or float64 embeddings, got {other}", nameof(queries)),
        };

    private static BestPositive Find<T>(Tensor queries, Tensor queryLabels, Tensor references, Tensor referenceLabels,
        bool sameSet, long chunkBytes, int workers) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var scope = torch.NewDisposeScope();
        var device = queries.device;
        long nq = queries.shape[0], d = queries.shape[1];
        var (sortedReferenceLabels, referenceOrder) = referenceLabels.sort(stable: true);
        var queryOrder = sameSet ? referenceOrder : queryLabels.sort(stable: true).Indices;
        var sortedQueryLabels = queryLabels.index_select(0, queryOrder);
        // Per sorted query: its class's run [start, end) among the sorted references.
        var start = torch.searchsorted(sortedReferenceLabels, sortedQueryLabels);
        var end = torch.searchsorted(sortedReferenceLabels, sortedQueryLabels, right: true);
        var host = new Host(HostLongs(queryOrder), HostLongs(referenceOrder), HostLongs(start), HostLongs(end), sameSet);
        long columnsPerPiece = Math.Max(1, chunkBytes / (WindowRows * queries.element_size()));
        var windows = Windows(host, nq, columnsPerPiece);

        var best = new T[nq];
        var bestIndex = new long[nq];
        Array.Fill(best, T.NegativeInfinity);
        Array.Fill(bestIndex, NoReference);
        // Windows cover disjoint queries, so workers write disjoint entries.
        ScanWorkers.Run(workers, device, windows.Count, () => new ScanWorkers.None(), (_, w) =>
        {
            using var inner = torch.NewDisposeScope();
            var (r0, rows) = windows[w];
            var window = queries.index_select(0, queryOrder.narrow(0, r0, rows));
            if (rows < MinProductRows) window = torch.cat(new[] { window, window.new_zeros(MinProductRows - rows, d) });
            long c0 = host.Start[r0], c1 = host.End[r0 + rows - 1];
            for (long p0 = c0; p0 < c1; p0 += columnsPerPiece)
            {
                long columns = Math.Min(columnsPerPiece, c1 - p0);
                using var pieceScope = torch.NewDisposeScope();
                var candidates = references.index_select(0, referenceOrder.narrow(0, p0, columns));
                // The scan's products where its kernel runs, so that s* is the very number the scan compares with.
                var products = FmaProducts.AppliesTo(window) ? FmaProducts.Product(window, candidates) : window.mm(candidates.t()).cpu().contiguous();
                host.Fold(MemoryMarshal.Cast<byte, T>(products.bytes), r0, rows, p0, (int)columns, best, bestIndex);
            }
        });
        for (long q = 0; q < nq; q++)
            if (bestIndex[q] == NoReference) (best[q], bestIndex[q]) = (T.PositiveInfinity, -1);   // lone: no reference of its label

        var relevant = new long[nq];
        for (long s = 0; s < nq; s++) relevant[host.QueryOrder[s]] = host.End[s] - host.Start[s] - (sameSet ? 1 : 0);
        return new BestPositive(torch.tensor(relevant, device: device).MoveToOuterDisposeScope(),
            ToTensor(best, device).MoveToOuterDisposeScope(), torch.tensor(bestIndex, device: device).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Windows of sorted queries: up to <see cref="WindowRows"/> rows, fewer where the references of their classes
    /// would need more than one piece of columns (a window then holds queries of one class at least).
    /// </summary>
    private static List<(long R0, int Rows)> Windows(Host host, long nq, long columnsPerPiece)
    {
        var windows = new List<(long, int)>();
        for (long r0 = 0; r0 < nq;)
        {
            int rows = 1;
            while (rows < WindowRows && r0 + rows < nq && host.End[r0 + rows] - host.Start[r0] <= columnsPerPiece) rows++;
            windows.Add((r0, rows));
            r0 += rows;
        }
        return windows;
    }

    /// <summary>The label-sorted layout on the host, and the per-window selection of each query's best positive.</summary>
    private sealed record Host(long[] QueryOrder, long[] ReferenceOrder, long[] Start, long[] End, bool SameSet)
    {
        /// <summary>
        /// Takes the (rows x columns) products of sorted queries r0.. against sorted references p0..: each query
        /// looks at the part of its class's run that falls in the piece; exact ties go to the lower reference index.
        /// </summary>
        public void Fold<T>(ReadOnlySpan<T> products, long r0, int rows, long p0, int columns, T[] best, long[] bestIndex)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int a = 0; a < rows; a++)
            {
                long s = r0 + a, query = QueryOrder[s];
                long from = Math.Max(Start[s], p0), to = Math.Min(End[s], p0 + columns);
                var row = products.Slice(a * columns, columns);
                for (long c = from; c < to; c++)
                {
                    long reference = ReferenceOrder[c];
                    if (SameSet && reference == query) continue;
                    T value = row[(int)(c - p0)];
                    if (value > best[query] || (value == best[query] && reference < bestIndex[query]))
                    {
                        best[query] = value;
                        bestIndex[query] = reference;
                    }
                }
            }
        }
    }

    private static long[] HostLongs(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.cpu().contiguous().data<long>().ToArray();
    }

    private static Tensor ToTensor<T>(T[] values, Device device) where T : unmanaged => values switch
    {
        float[] f => torch.tensor(f, device: device),
        double[] x => torch.tensor(x, device: device),
        _ => throw new ArgumentException($"expected float or double values, got {typeof(T).Name}", nameof(values)),
    };

    public void Dispose()
    {
        RelevantCount.Dispose();
        Similarity.Dispose();
        Index.Dispose();
    }
}
