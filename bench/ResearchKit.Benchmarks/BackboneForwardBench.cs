using System.Diagnostics;
using System.Globalization;
using ResearchKit.Training;
using ResearchKit.Training.Models;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Parameter counts and eval-mode forward time at batch 32 for each registered image backbone (input at the spec's
/// size; ResNet-50 and BN-Inception at 224 px). One warm-up pass, then <c>--iters</c> timed passes (default 2).
/// Usage: <c>backbones [--iters N] [--batch B] [--threads T] [--only name,name]</c>.
/// </summary>
public sealed class BackboneForwardBench : IBenchCommand
{
    /// <inheritdoc/>
    public string Name => "backbones";

    /// <inheritdoc/>
    public string Description => "parameter counts and batch-32 forward time of each backbone";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        int iters = BenchArgs.Int(args, "--iters", 2), batch = BenchArgs.Int(args, "--batch", 32), threads = BenchArgs.Int(args, "--threads", 0);
        var only = BenchArgs.String(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        Determinism.Initialize(0, threads);
        Console.WriteLine($"threads={get_num_threads()} batch={batch} timed iterations={iters}");
        Console.WriteLine($"{"backbone",-16} {"params",12} {"input",14} {"output",18} {"ms/batch",10} {"img/s",8}");
        foreach (var name in BackboneRegistry.Default.Names)
        {
            if (only is not null && !only.Contains(name)) continue;
            var (net, spec) = BackboneRegistry.Default.Create(name);
            net.eval();
            long[] shape = spec.InputSize == 1 ? [batch, spec.InputChannels] : [batch, spec.InputChannels, spec.InputSize, spec.InputSize];
            using var _ = no_grad();
            using var input = randn(shape);
            long[] outShape;
            using (var d = NewDisposeScope()) outShape = net.forward(input).shape; // warm-up
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < iters; i++)
                using (var d = NewDisposeScope()) net.forward(input);
            double ms = sw.Elapsed.TotalMilliseconds / iters;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-16} {ModuleInfo.CountParameters(net),12:N0} {string.Join("x", shape.Skip(1)),14} {string.Join("x", outShape.Skip(1)),18} {ms,10:F1} {batch * 1000 / ms,8:F1}"));
            net.Dispose();
        }
        return 0;
    }
}
