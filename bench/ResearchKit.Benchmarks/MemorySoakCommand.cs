using ResearchKit.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Native-memory soak: CP + Proxy Anchor training steps (N = 150, D = 512, C = 100, K = 3, M = 30, queue active, AdamW on
/// a linear embedding and the proxies), one dispose scope per step, printing the process RSS (/proc/self/statm). Exit
/// code 1 if RSS grows by more than 32 MiB between the end of warm-up and the last step.
/// Usage: <c>memory-soak [--steps 2000] [--warmup steps/4] [--threads 2]</c>.
/// </summary>
public sealed class MemorySoakCommand : IBenchCommand
{
    /// <inheritdoc/>
    public string Name => "memory-soak";

    /// <inheritdoc/>
    public string Description => "RSS over 2,000 CP + Proxy Anchor steps (N 150, D 512, C 100, K 3, M 30); fails on growth";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        int steps = BenchArgs.Int(args, "--steps", 2000), threads = BenchArgs.Int(args, "--threads", 2);
        // A quarter of the run by default: the allocator can take a few hundred steps to settle (one run jumped once, then stayed flat).
        int warmup = BenchArgs.Int(args, "--warmup", steps / 4);
        const int n = 150, d = 512, c = 100;
        set_num_threads(threads);
        var g = new Generator(0);
        var embedding = nn.Linear(d, d);
        var objective = CalibrateProxyObjective.Create(c, d, new ProxyAnchorLoss(), new CalibrateProxyOptions { StartEpoch = 1 }, generator: g);
        var optimizer = optim.AdamW(new AdamW.ParamGroup[]
        {
            new(embedding.parameters(), lr: 1e-4, weight_decay: 1e-4),
            new(objective.ProxyParameters(), lr: 1e-2, weight_decay: 1e-4),
        });
        var features = randn(new long[] { 4 * n, d }, generator: g);
        var featureLabels = randint(c, new long[] { 4 * n }, generator: g);

        Console.WriteLine($"memory-soak: {steps} steps, warm-up {warmup}, torch threads {get_num_threads()}");
        Console.WriteLine($"{"step",6} {"RSS MiB",9} {"loss",10}");
        long rssAfterWarmup = 0, rss = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 1; step <= steps; step++)
        {
            double loss;
            using (var scope = NewDisposeScope())
            {
                var rows = randint(4 * n, new long[] { n }, generator: g);
                optimizer.zero_grad();
                var output = objective.Step(embedding.call(features.index_select(0, rows)), featureLabels.index_select(0, rows),
                    epoch: step <= 30 ? 0 : 1);   // the queue fills first, then is active
                output.Loss.Total.backward();
                optimizer.step();
                loss = step % 200 == 0 ? output.Loss.TotalValue : double.NaN;
            }
            if (step == warmup || step % 200 == 0 || step == steps)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                rss = ResidentBytes();
                if (step == warmup) rssAfterWarmup = rss;
                // The loss is read only every 200 steps (reading it synchronises); other rows show "-".
                Console.WriteLine($"{step,6} {rss / 1048576.0,9:F1} {(double.IsNaN(loss) ? "-" : loss.ToString("F4")),10}");
            }
        }
        double growthMiB = (rss - rssAfterWarmup) / 1048576.0;
        Console.WriteLine($"RSS after warm-up {rssAfterWarmup / 1048576.0:F1} MiB, at the end {rss / 1048576.0:F1} MiB, growth {growthMiB:F1} MiB; " +
                          $"{clock.Elapsed.TotalMilliseconds / steps:F2} ms per step (incl. embedding and AdamW)");
        return growthMiB > 32 ? 1 : 0;
    }

    /// <summary>Resident set size from /proc/self/statm (pages × page size).</summary>
    public static long ResidentBytes()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1]) * Environment.SystemPageSize;
    }
}
