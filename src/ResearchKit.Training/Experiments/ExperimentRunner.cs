using System.Text.Json;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Experiments;

/// <summary>Which part of an experiment's runs one process does: runs with index ≡ <see cref="Index"/> (mod <see cref="Count"/>).</summary>
/// <param name="Index">0-based shard index.</param>
/// <param name="Count">Number of shards.</param>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>All runs.</summary>
    public static Shard All => new(0, 1);

    /// <summary>Parses <c>i/n</c> (0 ≤ i &lt; n).</summary>
    /// <exception cref="ArgumentException">Not of the form i/n with 0 ≤ i &lt; n.</exception>
    public static Shard Parse(string text)
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int i) && int.TryParse(parts[1], out int n) && n >= 1 && i >= 0 && i < n)
            return new Shard(i, n);
        throw new ArgumentException($"shard must be i/n with 0 <= i < n (e.g. 0/4); got '{text}'.", nameof(text));
    }

    /// <summary>Whether run number <paramref name="runIndex"/> belongs to this shard.</summary>
    public bool Owns(int runIndex) => runIndex % Count == Index;
}

/// <summary>What a run folder of an experiment is (written as <c>experiment.json</c> next to <c>config.json</c>).</summary>
/// <param name="Experiment">Experiment name.</param>
/// <param name="Profile">Profile name.</param>
/// <param name="Dataset">Data set.</param>
/// <param name="Variant">Variant (table row).</param>
/// <param name="Seed">Seed.</param>
public sealed record RunLabel(string Experiment, string Profile, string Dataset, string Variant, int Seed)
{
    /// <summary>File name of the label inside a run folder.</summary>
    public const string FileName = "experiment.json";
}

/// <summary>Runs an experiment's planned runs (one shard of them), skipping finished runs and resuming interrupted ones.</summary>
public static class ExperimentRunner
{
    /// <summary>The experiment's output folder under <paramref name="outRoot"/>: <c>&lt;experiment&gt;-&lt;profile&gt;</c>.</summary>
    public static string OutputFolder(string outRoot, Experiment experiment, ExperimentProfile profile) =>
        Path.Combine(outRoot, $"{experiment.Name}-{profile.Name}");

    /// <summary>
    /// Trains this shard's runs into <c>OutputFolder/runs/...</c>, then aggregates whatever results the folder holds
    /// into <c>table.csv</c> (mean ± sd over seeds, the paper's numbers alongside for the <c>paper</c> profile).
    /// </summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="profile">The profile.</param>
    /// <param name="outRoot">Output root.</param>
    /// <param name="seeds">Seeds per config (null = the profile's default).</param>
    /// <param name="shard">This process's shard.</param>
    /// <param name="device">Device override (null keeps the profile's).</param>
    /// <param name="options">Trainer options (progress, cancellation, a preloaded data set).</param>
    /// <param name="log">Receives one line per run.</param>
    public static ExperimentTable Run(Experiment experiment, ExperimentProfile profile, string outRoot, int? seeds = null, Shard? shard = null,
        string? device = null, TrainerOptions? options = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(profile);
        var folder = OutputFolder(outRoot, experiment, profile);
        var plan = experiment.Plan(profile, seeds ?? profile.DefaultSeeds);
        var part = shard ?? Shard.All;
        options ??= new TrainerOptions();
        // Cached frozen-backbone features and activations are shared by every run (and shard) of the output root.
        if (options.FeatureCacheDirectory is null) options = options with { FeatureCacheDirectory = Path.Combine(outRoot, "feature-cache") };
        for (int i = 0; i < plan.Count; i++)
        {
            if (!part.Owns(i)) continue;
            var p = plan[i];
            var config = device is null ? p.Config : p.Config with { Device = device };
            var dir = Path.Combine(folder, p.RelativePath);
            var runOptions = options.Dataset is not null && options.Dataset.Name != config.Dataset ? options with { Dataset = null } : options;
            TrainingResult result;
            if (File.Exists(Path.Combine(dir, "result.json"))) { log?.Invoke($"[{i + 1}/{plan.Count}] {p.Dataset} / {p.Variant} / seed {p.Seed}: done already"); continue; }
            if (File.Exists(Path.Combine(dir, "config.json"))) result = Trainer.Resume(dir, runOptions);
            else result = Trainer.Train(config, dir, runOptions);
            // Written after training starts the folder (it must be empty then); the table reads finished runs only.
            AtomicFile.WriteAllText(Path.Combine(dir, RunLabel.FileName),
                JsonSerializer.Serialize(new RunLabel(experiment.Name, profile.Name, p.Dataset, p.Variant, p.Seed), TrainingConfigJson.Options));
            log?.Invoke($"[{i + 1}/{plan.Count}] {p.Dataset} / {p.Variant} / seed {p.Seed}: " +
                string.Join(", ", experiment.Metrics.Where(result.FinalMetrics.ContainsKey).Select(m => $"{m} {result.FinalMetrics[m]:F4}")) +
                $" ({result.Timings.Total:F0} s, {result.Timings.TrainImagesPerSecond:F0} train img/s)");
            if (!result.Completed) break;
        }
        return ExperimentTable.Build(folder);
    }
}
