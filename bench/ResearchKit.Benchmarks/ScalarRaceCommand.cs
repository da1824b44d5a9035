using System.Diagnostics;
using ResearchKit.Training.Models;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>scalar-race</c>: training-mode BatchNorm forwards under constant GC and busy threads, TorchSharp's layer against the
/// kit's <see cref="StableBatchNorm"/>. TorchSharp's <c>BatchNorm.forward</c> passes implicitly converted Scalars to a native
/// call; a GC in that window can finalise them (see <see cref="StableBatchNorm"/>). Args: [seconds per layer = 60] [busy threads = 4].
/// Not a unit test: it needs minutes and a loaded machine to show the race.
/// </summary>
public sealed class ScalarRaceCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "scalar-race";
    /// <inheritdoc />
    public string Description => "BatchNorm forwards under GC pressure: TorchSharp's layer vs StableBatchNorm (failures, iterations)";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 60;
        int busy = args.Length > 1 ? int.Parse(args[1]) : 4;
        set_num_threads(1);
        Console.WriteLine($"{seconds:0} s per layer, {busy} busy threads + 1 GC thread, {Environment.ProcessorCount} cores");
        Console.WriteLine(Trial("TorchSharp nn.BatchNorm2d", nn.BatchNorm2d(8), seconds, busy));
        Console.WriteLine(Trial("StableBatchNorm.For2d   ", StableBatchNorm.For2d(8), seconds, busy));
        return 0;
    }

    private static string Trial(string name, nn.Module<Tensor, Tensor> layer, double seconds, int busy)
    {
        layer.train();
        using var x = randn(4, 8, 4, 4);
        using var stop = new CancellationTokenSource();
        var threads = Enumerable.Range(0, busy).Select(_ => new Thread(() => { while (!stop.IsCancellationRequested) Thread.SpinWait(1000); }))
            .Append(new Thread(() => { while (!stop.IsCancellationRequested) { GC.Collect(); GC.WaitForPendingFinalizers(); } }))
            .ToList();
        threads.ForEach(t => t.Start());
        var clock = Stopwatch.StartNew();
        long i = 0;
        string outcome = "no failure";
        try
        {
            for (; clock.Elapsed.TotalSeconds < seconds; i++)
            {
                using var scope = NewDisposeScope();
                layer.call(x);
            }
        }
        catch (Exception e) { outcome = "FAILED: " + e.Message.Split('\n')[0]; }
        stop.Cancel();
        threads.ForEach(t => t.Join());
        return $"{name}: {outcome} after {i:N0} forwards in {clock.Elapsed.TotalSeconds:0.0} s";
    }
}
