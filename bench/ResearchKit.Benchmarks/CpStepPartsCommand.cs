using System.Diagnostics;
using ResearchKit.Losses;
using ResearchKit.Similarity;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Where the CP + Proxy Anchor step's time goes (by default the LossBenchmarks sizes, N = 150, D = 512; C = 100, K = 3, M = 30):
/// median Stopwatch time of each piece over <c>--iters</c> runs after a warm-up, with <c>--threads</c> libtorch threads.
/// A rough breakdown next to the BenchmarkDotNet numbers, not a replacement for them.
/// </summary>
public sealed class CpStepPartsCommand : IBenchCommand
{
    private const int C = 100, K = 3, M = 30;

    /// <inheritdoc/>
    public string Name => "cp-step-parts";

    /// <inheritdoc/>
    public string Description => "median time of the pieces of a CP + Proxy Anchor step [--threads 1] [--iters 400] [--n 150] [--dim 512]";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        int threads = BenchArgs.Int(args, "--threads", 1), iters = BenchArgs.Int(args, "--iters", 400);
        // The default profile's glyph step is --n 64 --dim 64.
        int N = BenchArgs.Int(args, "--n", 150), D = BenchArgs.Int(args, "--dim", 512);
        set_num_threads(threads);
        var g = new Generator(0);
        var x = randn(new long[] { N, D }, generator: g).requires_grad_(true);
        var labels = randint(C, new long[] { N }, generator: g);
        var pa = new ProxyAnchorLoss();
        var head3 = ProxySimilarity.ForProxyAnchor(C, D, K, generator: g);
        var cp = CalibrateProxyObjective.Create(C, D, pa, new CalibrateProxyOptions { StartEpoch = 0 }, generator: g);
        for (int i = 0; i < 2 * M; i++) cp.Center.Enqueue(randn(new long[] { C, D }, generator: g), arange(C));
        var center = cp.Center;
        var calibration = cp.Calibration;

        void Time(string name, Action step)
        {
            for (int i = 0; i < 50; i++) step();
            var ms = new double[iters];
            for (int i = 0; i < iters; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                step();
                ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(ms);
            Console.WriteLine($"{name,-44} median {ms[iters / 2],8:F4} ms   p10 {ms[iters / 10],8:F4} ms");
        }

        Console.WriteLine($"threads {threads}, iters {iters}");
        Time("PA K3 step (fwd + bwd)", () =>
        {
            using var s = NewDisposeScope();
            pa.Compute(head3.call(x), labels).Total.backward();
            x.grad?.zero_(); head3.Proxies.grad?.zero_();
        });
        Time("CP + PA step (fwd + bwd + enqueue)", () =>
        {
            using var s = NewDisposeScope();
            cp.Step(x, labels, epoch: 1).Loss.Total.backward();
            x.grad?.zero_(); cp.Head.Proxies.grad?.zero_();
        });
        Time("CP + PA forward only (incl. enqueue)", () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            _ = cp.Step(x, labels, epoch: 1).Loss.Total;
        });
        Time("  s^p + s^g composite (fwd)", () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            _ = cp.Similarity.Compute(x, 1).Composite;
        });
        Time("  PA on S (fwd)", () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            var sim = cp.Similarity.Compute(x, 1).Composite;
            _ = pa.Compute(sim, labels).Total;
        });
        Time("  calibration loss (fwd + bwd)", () =>
        {
            using var s = NewDisposeScope();
            calibration.Compute(cp.Head, center, labels).Loss.backward();
            cp.Head.Proxies.grad?.zero_();
        });
        Time("  GlobalCenter.Means()", () => { using var s = NewDisposeScope(); _ = center.Means(); });
        Time("  GlobalCenter.SquaredDeviationSums()", () => { using var s = NewDisposeScope(); _ = center.SquaredDeviationSums(); });
        Time("  old Means pass (entries.sum(1) / n)", () =>
        {
            using var s = NewDisposeScope();
            _ = center.Entries.sum(1) / center.Counts.clamp_min(1).to_type(ScalarType.Float32).unsqueeze(1);
        });
        Time("  old spread pass (norms in float64)", () =>
        {
            using var s = NewDisposeScope();
            _ = linalg.vector_norm(center.Entries, 2, new long[] { -1 }).to_type(ScalarType.Float64).square().sum(1);
        });
        Time("  one tiny op (C-vector add)", () => { using var s = NewDisposeScope(); _ = center.Counts + 1; });
        Time("  labels check (Guard.Labels-like min/max item)", () =>
        {
            using var s = NewDisposeScope();
            _ = labels.min().item<long>() + labels.max().item<long>();
        });
        Time("  normalize N x D", () => { using var s = NewDisposeScope(); _ = nn.functional.normalize(x.detach(), dim: -1); });
        var yN = labels; long nn0 = N;
        var rowsT = arange(nn0, ScalarType.Int64);
        Time("    argsort of label·N + row", () => { using var s = NewDisposeScope(); _ = (yN * nn0 + rowsT).argsort(); });
        Time("    per-class index_add_ counts", () => { using var s = NewDisposeScope(); _ = zeros(C, ScalarType.Int64).index_add_(0, yN, ones_like(yN), 1); });
        Time("    nonzero of N bools", () => { using var s = NewDisposeScope(); _ = yN.ge(3).nonzero().squeeze(1); });
        var flatT = (arange(N, ScalarType.Int64) * 20) % (C * M);
        var vals = nn.functional.normalize(x.detach(), dim: -1);
        Time("    index_select N rows of queue", () => { using var s = NewDisposeScope(); _ = center.Entries.view(C * M, D).index_select(0, flatT); });
        Time("    index_copy_ N rows into scratch", () =>
        {
            using var s = NewDisposeScope();
            _ = zeros(C * M, D).index_copy_(0, flatT, vals);
        });
        var scratch = zeros(C * M, D);
        Time("    index_copy_ N rows in place", () => { using var s = NewDisposeScope(); scratch.index_copy_(0, flatT, vals); });
        var sums64 = zeros(C, D, ScalarType.Float64);
        var v64 = vals.to_type(ScalarType.Float64);
        Time("    index_add_ N float64 rows", () => { using var s = NewDisposeScope(); sums64.index_add_(0, yN, v64, 1); });
        long r0 = center.StatisticsRecomputes;
        Time("    to_type float64 of N x D", () => { using var s = NewDisposeScope(); _ = vals.to_type(ScalarType.Float64); });
        Time("    vecdot float64 N x D", () => { using var s = NewDisposeScope(); _ = linalg.vecdot(v64, v64, -1, null); });
        Time("    square().sum(1) float64 N x D", () => { using var s = NewDisposeScope(); _ = v64.square().sum(1); });
        Time("    index_add_ twice + vecdot twice", () =>
        {
            using var s = NewDisposeScope();
            sums64.index_add_(0, yN, v64, 1).index_add_(0, yN, v64, -1);
            _ = linalg.vecdot(v64, v64, -1, null) - linalg.vecdot(v64, v64, -1, null);
        });
        Time($"  enqueue N = {N}", () => { using var s = NewDisposeScope(); center.Enqueue(x, labels); });
        var yv = labels.clone();
        Time($"  EnqueueNormalized N = {N}", () => { using var s = NewDisposeScope(); center.EnqueueNormalized(vals, yv); });
        Console.WriteLine($"(statistics recomputes during the enqueue loops: {center.StatisticsRecomputes - r0})");
        return 0;
    }
}
