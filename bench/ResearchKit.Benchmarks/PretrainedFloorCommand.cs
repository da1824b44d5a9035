using ResearchKit.Metrics;
using ResearchKit.Training;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// The floor of a pretrained profile: retrieval on the held-out classes with the frozen backbone's raw features
/// (L2-normalized, and mean-centred then normalized), plus the time to extract or load the cache.
/// </summary>
public sealed class PretrainedFloorCommand : IBenchCommand
{
    public string Name => "pretrained-floor";
    public string Description => "raw pretrained features' R@1 / MAP@R on the test classes: [profile=pretrained-frozen] [cache=runs/feature-cache]";

    public int Run(string[] args)
    {
        var profile = Profiles.Get(args.Length > 0 ? args[0] : Profiles.PretrainedFrozen.Name);
        var cache = args.Length > 1 ? args[1] : Path.Combine("runs", "feature-cache");
        var cfg = profile.Base;
        Determinism.Initialize(cfg.Seed, cfg.Threads);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var data = TrainingData.For(cfg);
        using var inputs = RunInputs.Create(cfg, data, CPU, Environment.ProcessorCount, cache, Console.WriteLine);
        Console.WriteLine($"cache ready in {watch.Elapsed.TotalSeconds:F0} s (load average {File.ReadAllText("/proc/loadavg").Trim()})");
        var rows = inputs.CachedTestRows ?? throw new ArgumentException($"profile '{profile.Name}' trains on images; it has no cached features.", nameof(args));
        using var scope = NewDisposeScope();
        using var labels = data.Dataset.Test.Labels();
        foreach (var (name, x) in new[] { ("raw", rows), ("centred", rows - rows.mean([0], keepdim: true)) })
        {
            var r = RetrievalEvaluator.Evaluate(nn.functional.normalize(x, dim: 1), labels, null, CPU);
            Console.WriteLine($"{profile.Name} {name} features ({rows.shape[1]}-d, {rows.shape[0]} test images): " +
                string.Join("  ", new[] { RetrievalMetrics.RecallAt(1), RetrievalMetrics.MapAtR }.Select(m => $"{m.Label} {m.Shown(RetrievalMetrics.Read(r, m)!.Value):F2}")));
        }
        return 0;
    }
}
