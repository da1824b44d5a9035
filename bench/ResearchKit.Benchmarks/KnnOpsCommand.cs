using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>`knn-ops`: micro-timings of single tensor ops on one scan block (medians of repeats).</summary>
public sealed class KnnOpsCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "knn-ops";
    /// <inheritdoc />
    public string Description => "micro-timings of block ops";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        int chunk = BenchArgs.Int(args, "--chunk", 2048), reps = BenchArgs.Int(args, "--reps", 9);
        torch.set_num_threads(BenchArgs.Int(args, "--threads", Environment.ProcessorCount));
        var gen = new torch.Generator(1);
        var a = torch.randn(chunk, 512, generator: gen);
        var b = torch.randn(chunk, 512, generator: gen);
        var block = torch.empty(chunk, chunk);
        var thr = torch.randn(chunk, generator: gen).mul_(3);
        long m = chunk, n = chunk;
        var ops = new (string, Action)[]
        {
            ("gemm", () => block.addmm_(a, b.t(), beta: 0, alpha: 1)),
            ("amax contiguous g4", () => block.view(m, n / 4, 4).amax(new long[] { 2 }).Dispose()),
            ("amax contiguous g16", () => block.view(m, n / 16, 16).amax(new long[] { 2 }).Dispose()),
            ("amax strided g4", () => block.view(m, 4, n / 4).amax(new long[] { 1 }).Dispose()),
            ("amax strided g16", () => block.view(m, 16, n / 16).amax(new long[] { 1 }).Dispose()),
            ("amax rowgroups g16", () => block.view(m / 16, 16, n).amax(new long[] { 1 }).Dispose()),
            ("amax rows", () => block.amax(new long[] { 1 }).Dispose()),
            ("amax cols", () => block.amax(new long[] { 0 }).Dispose()),
            ("transpose copy", () => block.t().contiguous().Dispose()),
            ("gt thr", () => block.gt(thr.unsqueeze(1)).Dispose()),
            ("gt+sum rows", () => { using var g = block.gt(thr.unsqueeze(1)); g.sum(new long[] { 1 }, type: ScalarType.Int32).Dispose(); }),
            ("gt+sum cols", () => { using var g = block.gt(thr.unsqueeze(0)); g.sum(new long[] { 0 }, type: ScalarType.Int32).Dispose(); }),
            ("topk 12 rows full", () => { var (v, i) = block.topk(12, 1); v.Dispose(); i.Dispose(); }),
            ("topk 12 on 128", () => { using var s = block.narrow(1, 0, 128).contiguous(); var (v, i) = s.topk(12, 1); v.Dispose(); i.Dispose(); }),
            ("masked_fill", () => { using var mk = thr.unsqueeze(1).gt(thr.unsqueeze(0)); block.masked_fill_(mk, double.NegativeInfinity); }),
            ("index_select half rows", () => { using var idx = torch.arange(0, m, 2); block.index_select(0, idx).Dispose(); }),
        };
        var c = CultureInfo.InvariantCulture;
        if (args.Contains("--stages"))
        {
            int ns = BenchArgs.Int(args, "--ns", 20480), workers = BenchArgs.Int(args, "--workers", 2);
            var (emb, lab) = SopEvalCommand.SyntheticSop(ns, 512, (int)Math.Round(ns / 5.3466), 2.5, 0);
            var sw = Stopwatch.StartNew();
            var q = ResearchKit.Metrics.ExactCosineKnn.Normalize(emb);
            var rc = ResearchKit.Metrics.BestPositive.CountRelevant(lab, lab, true);
            int width = (int)rc.max().item<long>();
            Console.WriteLine($"normalize+count {sw.Elapsed.TotalSeconds:F2}"); sw.Restart();
            using var best = ResearchKit.Metrics.BestPositive.Find(q, lab, q, lab, true, 64L << 20);
            Console.WriteLine($"best positive {sw.Elapsed.TotalSeconds:F2}"); sw.Restart();
            foreach (bool counting in new[] { false, true })
            foreach (int w in new[] { 1, workers })
            {
                using var topK = new ResearchKit.Metrics.RunningTopK(ns, width, q.dtype, q.device);
                using var counter = counting ? new ResearchKit.Metrics.NegativeCounter(lab, lab, best, 1000) : null;
                sw.Restart();
                ResearchKit.Metrics.BlockedKnnScan.Run(q, null, chunk, topK, counter, w);
                Console.WriteLine($"scan workers {w} counts {counting}: {sw.Elapsed.TotalSeconds:F2}");
                sw.Restart();
                ResearchKit.Metrics.BlockedKnnScan.ProductsOnly(q, null, chunk, w);
                Console.WriteLine($"  products only workers {w}: {sw.Elapsed.TotalSeconds:F2}");
            }
            return 0;
        }
        if (args.Contains("--check"))
        {
var a2 = torch.randn(2048, 512); var b2 = torch.randn(1110, 512);
var buf = torch.full(2048 * 1120, 7.0f);
var view = buf.view(2048, 1120);
var outv = view.narrow(1, 0, 1110);

outv.addmm_(a2, b2.t(), beta: 0, alpha: 1);
Console.WriteLine($"stride {string.Join(",", outv.stride())}, pad untouched {view.narrow(1,1110,10).eq(7).all().item<bool>()}, correct {outv.allclose(a2.mm(b2.t()))}");
var sw = System.Diagnostics.Stopwatch.StartNew();
for (int i = 0; i < 5; i++) outv.addmm_(a2, b2.t(), beta: 0, alpha: 1);
Console.WriteLine($"strided {sw.ElapsedMilliseconds/5.0} ms");
var c2 = torch.empty(2048, 1110); sw.Restart();
for (int i = 0; i < 5; i++) c2.addmm_(a2, b2.t(), beta: 0, alpha: 1);
Console.WriteLine($"contig {sw.ElapsedMilliseconds/5.0} ms");
// bmm vs addmm consistency
var x = torch.nn.functional.normalize(torch.randn(4096, 512), p: 2, dim: 1);
var full = x.mm(x.t());
var idx = torch.randint(0, 4096, new long[] { 4096, 12 });
var g = x.index_select(0, idx.flatten()).view(4096, 12, 512);
var viaBmm = torch.bmm(g, x.unsqueeze(2)).squeeze(2);
var viaFull = full.gather(1, idx);
Console.WriteLine($"bmm != mm: {viaBmm.ne(viaFull).sum().item<long>()} of {viaBmm.numel()}");
var sub = x.narrow(0, 0, 2048).mm(x.narrow(0, 2048, 1110).t());
Console.WriteLine($"sub-block != full: {sub.ne(full.narrow(0,0,2048).narrow(1,2048,1110)).sum().item<long>()}");
var small = x.narrow(0, 100, 64).mm(x.narrow(0, 0, 768).t());
Console.WriteLine($"64x768 != full: {small.ne(full.narrow(0,100,64).narrow(1,0,768)).sum().item<long>()}");
var one = x.narrow(0, 5, 1).mm(x.t());
Console.WriteLine($"1xN != full: {one.ne(full.narrow(0,5,1)).sum().item<long>()}");
var sel = x.index_select(0, idx.narrow(0,0,64).flatten());
var cross = x.narrow(0, 0, 64).mm(sel.t());
var crossVals = cross.view(64, 64, 12).diagonal(0, 0, 1).t();
Console.WriteLine($"cross trick != full: {crossVals.ne(viaFull.narrow(0,0,64)).sum().item<long>()}");
foreach (int rowsM in new[] { 2, 3, 4, 8, 16 })
{
    var selM = x.index_select(0, idx.narrow(0, 0, rowsM).flatten());
    var crossM = x.narrow(0, 0, rowsM).mm(selM.t()).view(rowsM, rowsM, 12).diagonal(0, 0, 1).t();
    Console.WriteLine($"cross trick M={rowsM} != full: {crossM.ne(viaFull.narrow(0, 0, rowsM)).sum().item<long>()}");
}
torch.set_num_threads(1);
var full1 = x.mm(x.t());
Console.WriteLine($"1 thread != 2 threads: {full1.ne(full).sum().item<long>()}");

            return 0;
        }
        if (args.Contains("--par"))
        {
            int workers = BenchArgs.Int(args, "--workers", 2), blocks = BenchArgs.Int(args, "--blocks", 20);
            var wall = Stopwatch.StartNew();
            var threadsList = Enumerable.Range(0, workers).Select(w => new Thread(() =>
            {
                torch.set_num_threads(1);
                using var buf = torch.empty(chunk, chunk);
                for (int i = 0; i < blocks / workers; i++) buf.addmm_(a, b.t(), beta: 0, alpha: 1);
            })).ToList();
            threadsList.ForEach(t => t.Start());
            threadsList.ForEach(t => t.Join());
            double s1 = wall.Elapsed.TotalSeconds;
            torch.set_num_threads(2);
            wall.Restart();
            for (int i = 0; i < blocks; i++) block.addmm_(a, b.t(), beta: 0, alpha: 1);
            double s2 = wall.Elapsed.TotalSeconds;
            double gf = 2.0 * chunk * chunk * 512 * blocks / 1e9;
            Console.WriteLine(string.Format(c, "{0} workers x 1 thread: {1:F2} s ({2:F0} GFLOP/s); 1 x 2 threads: {3:F2} s ({4:F0} GFLOP/s)", workers, s1, gf / s1, s2, gf / s2));
            return 0;
        }
        foreach (var (name, op) in ops)
        {
            var times = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                using var scope = torch.NewDisposeScope();
                var sw = Stopwatch.StartNew();
                op();
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine(string.Format(c, "{0,-24} median {1,8:F2} ms  min {2,8:F2} ms", name, times[reps / 2], times[0]));
        }
        return 0;
    }
}
