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

    /// <summary>
    /// This shard cut into <paramref name="parts"/> shards whose runs together are exactly this one's: part j of i/n is
    /// (i + n·j)/(n·parts), since a run index ≡ i (mod n) is ≡ i + n·j (mod n·parts) for exactly one j.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> &lt; 1.</exception>
    public IReadOnlyList<Shard> Split(int parts)
    {
        if (parts < 1) throw new ArgumentOutOfRangeException(nameof(parts), parts, "Expected >= 1.");
        var (i, n) = (Index, Count);
        return Enumerable.Range(0, parts).Select(j => new Shard(i + n * j, n * parts)).ToList();
    }
}

/// <summary>What a run folder of an experiment is (written as <see cref="RunLayout.Label"/> next to the run's config).</summary>
/// <param name="Experiment">Registry name of the experiment (<see cref="ExperimentRegistry.Get"/>).</param>
/// <param name="Profile">Registry name of the profile (<see cref="Profiles.Get"/>).</param>
/// <param name="Dataset">Data set the run trained on.</param>
/// <param name="Variant">Name of the table row (<see cref="Experiment.Variant"/>).</param>
/// <param name="Seed">Seed of the run, 1-based.</param>
public sealed record RunLabel(string Experiment, string Profile, string Dataset, string Variant, int Seed);

/// <summary>
/// An experiment folder's plan (<see cref="RunLayout.Plan"/>): which runs make its table, so <c>report</c> can say which are missing
/// (unfinished, or finished but unlabelled) whatever shards wrote the folder. Same content for every shard.
/// </summary>
/// <param name="Experiment">Registry name of the experiment.</param>
/// <param name="Profile">Registry name of the profile.</param>
/// <param name="Seeds">Seeds per configuration.</param>
/// <param name="Runs">The runs, in plan order (shard i of n owns those with index ≡ i mod n).</param>
public sealed record ExperimentPlan(string Experiment, string Profile, int Seeds, IReadOnlyList<PlannedRunEntry> Runs)
{
    /// <summary>
    /// This plan's runs followed by those of <paramref name="other"/> it lacks (by run folder), with the larger seed count:
    /// what a folder holds after both were run into it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="other"/> is a plan of another experiment or profile.</exception>
    public ExperimentPlan Union(ExperimentPlan other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Experiment != Experiment || other.Profile != Profile)
            throw new ArgumentException($"a plan of {other.Experiment}/{other.Profile} cannot join the folder of {Experiment}/{Profile}; use another --out.", nameof(other));
        var paths = Runs.Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        return this with { Seeds = Math.Max(Seeds, other.Seeds), Runs = [.. Runs, .. other.Runs.Where(r => !paths.Contains(r.Path))] };
    }

    /// <summary>The plan file of <paramref name="folder"/>, or null when it has none (folders written before plans).</summary>
    /// <exception cref="InvalidDataException">The file is not a plan; names it.</exception>
    public static ExperimentPlan? Read(string folder)
    {
        var path = Path.Combine(folder, RunLayout.Plan);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<ExperimentPlan>(File.ReadAllText(path), TrainingConfigJson.Options); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not an experiment plan ({e.Message})", e); }
    }
}

/// <summary>One run of an <see cref="ExperimentPlan"/>.</summary>
/// <param name="Dataset">Data set the run trains on.</param>
/// <param name="Variant">Name of the table row.</param>
/// <param name="Seed">Seed of the run, 1-based.</param>
/// <param name="Path">Run folder relative to the experiment folder.</param>
public sealed record PlannedRunEntry(string Dataset, string Variant, int Seed, string Path);

/// <summary>Runs an experiment's planned runs (one shard of them), skipping finished runs and resuming interrupted ones.</summary>
public static class ExperimentRunner
{
    /// <summary>The experiment's output folder under <paramref name="outRoot"/>: <c>&lt;experiment&gt;-&lt;profile&gt;</c>.</summary>
    public static string OutputFolder(string outRoot, Experiment experiment, ExperimentProfile profile) =>
        Path.Combine(outRoot, $"{experiment.Name}-{profile.Name}");

    /// <summary>
    /// Takes <paramref name="shard"/>'s lock of an experiment folder (created if missing): a second process for the same
    /// shard is refused at once, naming the holder. <see cref="Run"/> takes it itself; a parent that splits its shard
    /// over worker processes holds it for them.
    /// </summary>
    /// <exception cref="FolderLockedException">Another process holds it.</exception>
    public static FolderLock LockShard(string folder, Shard shard, Action<string>? log = null) =>
        FolderLock.Acquire(folder, $"shard-{shard.Index}-of-{shard.Count}", log);

    /// <summary>The indices (in plan order) of the runs <paramref name="shard"/> owns; empty when the plan is shorter than the shard count.</summary>
    public static IReadOnlyList<int> Owned(IReadOnlyList<PlannedRun> plan, Shard shard)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Enumerable.Range(0, plan.Count).Where(shard.Owns).ToList();
    }

    /// <summary>
    /// Trains this shard's runs into <c>OutputFolder/runs/...</c>, then aggregates whatever results the folder holds
    /// into <c>table.csv</c> (mean ± sd over seeds, the paper's numbers alongside for the <c>paper</c> profile).
    /// One process per shard: the shard's lock refuses a second writer at once, naming the holder; each run folder has its
    /// own lock too (shards of different counts may overlap). A run folder whose run never started is started afresh with
    /// the plan's config; one that started is resumed, refusing a plan whose recipe changed since (only the device may).
    /// </summary>
    /// <param name="experiment">The experiment (possibly with fewer variants than the registry's); the returned table is its.</param>
    /// <param name="profile">The profile (possibly cut to fewer epochs); the returned table is its.</param>
    /// <param name="outRoot">Output root; the experiment's folder is <see cref="OutputFolder"/> under it.</param>
    /// <param name="seeds">Seeds per config (null = the profile's default).</param>
    /// <param name="shard">This process's shard.</param>
    /// <param name="device">Device override (null keeps the profile's).</param>
    /// <param name="options">Trainer options (progress, cancellation, a preloaded data set).</param>
    /// <param name="log">Receives one line per run.</param>
    /// <returns>The table, or null when this shard owns no run and the folder holds no finished run yet.</returns>
    public static ExperimentTable Run(Experiment experiment, ExperimentProfile profile, string outRoot, int? seeds = null, Shard? shard = null,
        string? device = null, TrainerOptions? options = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(profile);
        var folder = OutputFolder(outRoot, experiment, profile);
        int seedCount = seeds ?? profile.DefaultSeeds;
        var plan = experiment.Plan(profile, seedCount);
        var part = shard ?? Shard.All;
        options ??= new TrainerOptions();
        using var shardLock = LockShard(folder, part, log);
        WritePlan(folder, new ExperimentPlan(experiment.Name, profile.Name, seedCount,
            plan.Select(p => new PlannedRunEntry(p.Dataset, p.Variant, p.Seed, p.RelativePath)).ToList()));
        // Cached frozen-backbone features and activations are shared by every run (and shard) of the output root.
        if (options.FeatureCacheDirectory is null) options = options with { FeatureCacheDirectory = Path.Combine(outRoot, RunLayout.FeatureCache) };
        foreach (int i in Owned(plan, part))
        {
            var p = plan[i];
            var config = device is null ? p.Config : p.Config with { Device = device };
            var dir = Path.Combine(folder, p.RelativePath);
            var label = new RunLabel(experiment.Name, profile.Name, p.Dataset, p.Variant, p.Seed);
            var runOptions = options.Dataset is not null && options.Dataset.Name != config.Dataset ? options with { Dataset = null } : options;
            var name = $"[{i + 1}/{plan.Count}] {p.Dataset} / {p.Variant} / seed {p.Seed}";
            if (File.Exists(Path.Combine(dir, RunLayout.Result)))
            {
                WriteLabel(dir, label);   // a kill between result.json and the label left it unlabelled
                // Reused as it is, whichever build trained it; the line says so when that was other code.
                var other = KitBuild.Difference(ExperimentTable.ReadJson<TrainingResult>(Path.Combine(dir, RunLayout.Result)).KitVersion);
                log?.Invoke($"{name}: done already" + (other is null ? "" : $", {other}; delete {dir} to train it again with this build"));
                continue;
            }
            var result = RunDirectory.HasStarted(dir) ? Trainer.Resume(dir, runOptions, expected: config) : Trainer.Train(config, dir, runOptions);
            WriteLabel(dir, label);
            if (!result.Completed)
            {
                log?.Invoke($"{name}: stopped during epoch {result.EpochsCompleted + 1} (step {result.Steps}); {result.EpochsCompleted} epoch(s) " +
                    $"checkpointed in {dir}");
                return ExperimentTable.Build(experiment, profile, folder, requireRuns: false) with { Stopped = result };
            }
            log?.Invoke($"{name}: " +
                string.Join(", ", experiment.Metrics.Where(m => result.Value(m) is not null).Select(m => $"{m.Label} {m.Format(m.Shown(result.Value(m)!.Value))}")) +
                $" ({result.Timings.Total:F0} s, {result.Timings.TrainImagesPerSecond:F0} train img/s)");
        }
        return ExperimentTable.Build(experiment, profile, folder, requireRuns: false);
    }

    private static void WriteLabel(string dir, RunLabel label) =>
        AtomicFile.WriteAllText(Path.Combine(dir, RunLayout.Label), JsonSerializer.Serialize(label, TrainingConfigJson.Options));

    // Every shard writes the same plan; a different one (other seeds) would mix two experiments in one table.
    // The folder's plan is the union of every plan run into it: a notebook that runs a subset of the variants (or fewer
    // seeds) into the folder of a fuller run adds nothing and removes nothing, so report still lists every planned run.
    private static void WritePlan(string folder, ExperimentPlan plan)
    {
        var merged = ExperimentPlan.Read(folder) is { } existing ? existing.Union(plan) : plan;
        var json = JsonSerializer.Serialize(merged, TrainingConfigJson.Options);
        var path = Path.Combine(folder, RunLayout.Plan);
        if (!File.Exists(path) || File.ReadAllText(path) != json) AtomicFile.WriteAllText(path, json);
    }
}
