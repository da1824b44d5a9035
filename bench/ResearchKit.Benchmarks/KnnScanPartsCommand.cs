using System.Diagnostics;
using System.Globalization;
using ResearchKit.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>`knn-parts`: where the time of the same-set scan goes, stage by stage (one run, wall time per stage).</summary>
public sealed class KnnScanPartsCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "knn-parts";
    /// <inheritdoc />
    public string Description => "SOP-shaped same-set scan: time per stage";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        int n = BenchArgs.Int(args, "--n", 20480), dim = BenchArgs.Int(args, "--dim", 512);
        int chunk = BenchArgs.Int(args, "--chunk", 2048);
        int classes = (int)Math.Round(n / 5.3466);
        torch.set_num_threads(BenchArgs.Int(args, "--threads", Environment.ProcessorCount));
        var (embeddings, labels) = SopEvalCommand.SyntheticSop(n, dim, classes, 2.5, 0);
        using var scope = torch.NewDisposeScope();
        var q = ExactCosineKnn.Normalize(embeddings);
        var relevantCount = BestPositive.CountRelevant(labels, labels, true);
        int width = (int)relevantCount.max().item<long>();
        using var topK = new RunningTopK(n, width, q.dtype, q.device);
        using var best = BestPositive.Find(q, labels, q, labels, true, 64L << 20);
        using var counter = new NegativeCounter(labels, labels, best);
        var t = new Dictionary<string, double>();
        var sw = new Stopwatch();
        void Lap(string name) { t[name] = t.GetValueOrDefault(name) + sw.Elapsed.TotalSeconds; sw.Restart(); }
        using var buffer = torch.empty((long)chunk * chunk, q.dtype, q.device);
        using var transposed = torch.empty((long)chunk * chunk, q.dtype, q.device);
        var total = Stopwatch.StartNew();
        for (long i0 = 0; i0 < n; i0 += chunk)
        {
            long m = Math.Min(chunk, n - i0);
            using var rowsScope = torch.NewDisposeScope();
            var qi = q.narrow(0, i0, m);
            for (long j0 = i0; j0 < n; j0 += chunk)
            {
                using var blockScope = torch.NewDisposeScope();
                long nn = Math.Min(chunk, n - j0);
                sw.Restart();
                var block = buffer.narrow(0, 0, m * nn).view(m, nn);
                block.addmm_(qi, q.narrow(0, j0, nn).t(), beta: 0, alpha: 1);
                Lap("gemm");
                if (j0 == i0) block.diagonal().fill_(double.NegativeInfinity);
                topK.Offer(block, i0, j0);
                Lap("offer rows");
                if (j0 != i0)
                {
                    var columns = transposed.narrow(0, 0, m * nn).view(nn, m);
                    columns.copy_(block.t());
                    Lap("transpose");
                    topK.Offer(columns, j0, i0);
                    Lap("offer cols");
                }
                counter.MaskPositives(block, i0, j0);
                Lap("mask");
                counter.Count(block, i0, j0);
                Lap("count rows");
                if (j0 != i0) counter.CountColumns(block, i0, j0);
                Lap("count cols");
            }
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(c, "n {0}, chunk {1}, total {2:F2} s", n, chunk, total.Elapsed.TotalSeconds));
        foreach (var (k, v) in t) Console.WriteLine(string.Format(c, "  {0,-12} {1,7:F2} s", k, v));
        return 0;
    }
}
