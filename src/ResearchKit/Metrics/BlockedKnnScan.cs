using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// The one pass over exact cosine similarities: (chunk x chunk) blocks from a matrix product into a reused buffer,
/// each folded into the running top-k lists (and optionally the negative counts) before the next is computed, so the
/// full similarity matrix never exists. In the same-set setting only blocks on and above the diagonal are computed;
/// an off-diagonal block serves its rows and, transposed, its columns.
/// </summary>
internal static class BlockedKnnScan
{
    /// <summary>
    /// Runs the scan. <paramref name="references"/> null means the same-set setting (queries are the references and
    /// each query is excluded from its own list). Inputs are L2-normalised, on one device, of one dtype.
    /// Block order keeps each query's references arriving in ascending index order, which
    /// <see cref="RunningTopK.Offer"/> relies on.
    /// </summary>
    public static void Run(Tensor queries, Tensor? references, int chunk, RunningTopK topK, NegativeCounter? counter)
    {
        long nq = queries.shape[0];
        bool sameSet = references is null;
        var refs = references ?? queries;
        long nr = refs.shape[0];
        using var buffer = torch.empty((long)chunk * chunk, queries.dtype, queries.device);
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
                if (mirrored) topK.Offer(block.t(), j0, i0);
                if (counter is null) continue;
                counter.MaskPositives(block, i0, j0);
                counter.Count(block, i0, j0);
                if (mirrored) counter.Count(block.t(), j0, i0);
            }
        }
    }

    /// <summary>The bare block products of the same scan, without selection: the floor for exact search.</summary>
    public static void ProductsOnly(Tensor queries, Tensor? references, int chunk)
    {
        long nq = queries.shape[0];
        bool sameSet = references is null;
        var refs = references ?? queries;
        long nr = refs.shape[0];
        using var buffer = torch.empty((long)chunk * chunk, queries.dtype, queries.device);
        for (long i0 = 0; i0 < nq; i0 += chunk)
        {
            long m = Math.Min(chunk, nq - i0);
            for (long j0 = sameSet ? i0 : 0; j0 < nr; j0 += chunk)
            {
                using var blockScope = torch.NewDisposeScope();
                long n = Math.Min(chunk, nr - j0);
                buffer.narrow(0, 0, m * n).view(m, n).addmm_(queries.narrow(0, i0, m), refs.narrow(0, j0, n).t(), beta: 0, alpha: 1);
            }
        }
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
}
