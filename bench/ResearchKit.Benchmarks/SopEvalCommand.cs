using System.Diagnostics;
using System.Globalization;
using ResearchKit.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// `sop-eval`: retrieval evaluation at Stanford-Online-Products scale (60,502 x 512 float32, ~11,316 classes of 2-12
/// images, shuffled), all metrics (Recall@{1,10,100,1000}, P@1, R-Precision, MAP@R). Reports wall time, peak extra
/// resident memory, and the time of the bare block products the scan needs (the floor for exact search), measured in
/// the same run. Options: --n, --dim, --classes, --chunk, --seed, --spread, --threads.
/// </summary>
public sealed class SopEvalCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "sop-eval";
    /// <inheritdoc />
    public string Description => "SOP-scale retrieval evaluation: time, peak extra memory, matmul floor";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        int n = BenchArgs.Int(args, "--n", 60502), dim = BenchArgs.Int(args, "--dim", 512), classes = BenchArgs.Int(args, "--classes", 11316);
        int seed = BenchArgs.Int(args, "--seed", 0), threads = BenchArgs.Int(args, "--threads", Environment.ProcessorCount);
        int? chunk = args.Contains("--chunk") ? BenchArgs.Int(args, "--chunk", 0) : null;
        double spread = double.Parse(BenchArgs.String(args, "--spread", "2.5"), CultureInfo.InvariantCulture);
        torch.set_num_threads(threads);

        var (embeddings, labels) = SyntheticSop(n, dim, classes, spread, seed);
        int effectiveChunk = chunk ?? ChunkSizePolicy.Default(4);
        Console.WriteLine($"data: {n} x {dim} float32, {classes} classes (sizes {ClassSizeSummary(labels)}), threads {torch.get_num_threads()}, chunk {effectiveChunk}{(chunk is null ? " (auto)" : "")}");

        // Warm-up (thread pools, allocator) on a small slice, outside the measurements.
        int warm = Math.Min(4000, n);
        using (var warmEmb = embeddings.narrow(0, 0, warm)) using (var warmLab = labels.narrow(0, 0, warm))
            RetrievalEvaluator.Evaluate(warmEmb, warmLab, new RetrievalOptions { RecallKs = [1, 10] });

        GC.Collect();
        long baseline = Rss("VmRSS:");
        ResetPeakRss();
        var sw = Stopwatch.StartNew();
        var result = RetrievalEvaluator.Evaluate(embeddings, labels, RetrievalOptions.Sop with { ChunkSize = chunk });
        double evalSeconds = sw.Elapsed.TotalSeconds;
        long peakExtra = Rss("VmHWM:") - baseline;

        // The floor: the same block products (on and above the diagonal), nothing else.
        using var normalized = ExactCosineKnn.Normalize(embeddings);
        sw.Restart();
        BlockedKnnScan.ProductsOnly(normalized, null, effectiveChunk);
        double floorSeconds = sw.Elapsed.TotalSeconds;
        double flops = BlockedKnnScan.ProductFlops(n, n, dim, effectiveChunk, sameSet: true);

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(result.ToString());
        Console.WriteLine(string.Format(c, "evaluation (all metrics): {0:F2} s", evalSeconds));
        Console.WriteLine(string.Format(c, "peak extra resident memory: {0:F0} MiB", peakExtra / 1048576.0));
        Console.WriteLine(string.Format(c, "bare block products (upper triangle, {0:F0} GFLOP): {1:F2} s = {2:F0} GFLOP/s",
            flops / 1e9, floorSeconds, flops / 1e9 / floorSeconds));
        Console.WriteLine(string.Format(c, "ratio evaluation / bare products: {0:F2}", evalSeconds / floorSeconds));
        Console.WriteLine("reference (brief, this machine): PML AccuracyCalculator + faiss 36.9 s (P@1, R-Prec, MAP@R); all 60,502^2 products 18.6 s");
        return 0;
    }

    /// <summary>SOP-shaped data: class sizes 2..12 (one class of 12) summing to n, Gaussian clusters, shuffled rows.</summary>
    internal static (Tensor Embeddings, Tensor Labels) SyntheticSop(int n, int dim, int classes, double spread, int seed)
    {
        if (n < 2 * classes || n > 12 * classes) throw new ArgumentException($"need 2*classes <= n <= 12*classes, got n {n}, classes {classes}", nameof(n));
        var rng = new Random(seed);
        var sizes = Enumerable.Repeat(2, classes).ToArray();
        sizes[0] = 12;
        for (int left = n - sizes.Sum(); left > 0;)
        {
            int c = rng.Next(classes);
            if (sizes[c] < 12) { sizes[c]++; left--; }
        }
        var labelArray = sizes.SelectMany((s, c) => Enumerable.Repeat((long)c, s)).ToArray();
        var generator = new torch.Generator((ulong)seed);
        var labelsSorted = torch.tensor(labelArray);
        var order = torch.randperm(n, generator: generator);
        var labels = labelsSorted.index_select(0, order);
        var centres = torch.randn(classes, dim, generator: generator);
        var embeddings = centres.index_select(0, labels).add_(torch.randn(n, dim, generator: generator).mul_(spread));
        return (embeddings, labels);
    }

    private static string ClassSizeSummary(Tensor labels)
    {
        using var counts = torch.bincount(labels);
        using var nonzero = counts.masked_select(counts.gt(0));
        return $"{nonzero.min().item<long>()}..{nonzero.max().item<long>()}, mean {nonzero.to_type(ScalarType.Float64).mean().item<double>():F2}";
    }

    private static long Rss(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>Writing 5 to clear_refs resets the peak resident set size (VmHWM) of this process.</summary>
    private static void ResetPeakRss() => File.WriteAllText("/proc/self/clear_refs", "5");
}
