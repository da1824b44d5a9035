using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.DotNet.Interactive;
using ResearchKit.Data;
using ResearchKit.Notebooks.Running;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Models;
using ResearchKit.Training.Runs;

namespace ResearchKit.Notebooks.Cells;

/// <summary>
/// What the ablation notebooks do with the experiment registry: run or reload an experiment at a profile (optionally on
/// another data set or cut to fewer epochs), find its run folders and reload a trained run. Notebooks import it with
/// <c>using static</c> (notebooks/researchkit.dib).
/// </summary>
public static class ExperimentCells
{
    // Data sets loaded once per kernel session and handed to every run of a notebook.
    private static readonly ConcurrentDictionary<string, ZeroShotDataset> LoadedDatasets = new(StringComparer.Ordinal);

    /// <summary>
    /// Registry profile <paramref name="name"/>, optionally on another data set (<paramref name="dataset"/>; "" keeps the
    /// profile's) and cut to <paramref name="epochs"/> (0 keeps the profile's): the CP start epoch keeps its fraction of the
    /// run and the LR steps every third of the run.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> is negative.</exception>
    public static ExperimentProfile NotebookProfile(string name, int epochs = 0, string dataset = "")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        ArgumentNullException.ThrowIfNull(dataset);
        var p = Profiles.Get(name);
        if (dataset != "" && !p.Datasets.SequenceEqual([dataset])) p = p.WithDataset(dataset);
        if (epochs == 0 || epochs == p.Base.Epochs) return p;
        var b = p.Base;
        int start = Math.Clamp((int)Math.Round(b.Loss.Cp.StartEpoch * epochs / (double)b.Epochs), 0, Math.Max(0, epochs - 1));
        return p with
        {
            Base = b with
            {
                Epochs = epochs,
                EvalEveryEpochs = epochs,
                Schedule = b.Schedule with { StepSize = Math.Max(1, epochs / 3) },
                Loss = b.Loss with { Cp = b.Loss.Cp with { StartEpoch = start } },
            },
        };
    }

    /// <summary>
    /// Stops <see cref="RunOrLoad"/>'s training at the next step, beside the cell's own cancellation (a notebook
    /// host's interrupt): a host that runs notebooks headless sets it from its stop signals (<c>researchkit notebook
    /// run</c> does), so Ctrl+C or SIGTERM stops a notebook's runs with their epochs checkpointed.
    /// </summary>
    public static CancellationToken HostStop { get; set; }

    /// <summary>Data set <paramref name="name"/> from the registry, loaded once per process.</summary>
    public static ZeroShotDataset LoadDataset(string name) => LoadedDatasets.GetOrAdd(name, n => DatasetRegistry.Default.Load(n));

    /// <summary>
    /// Trains the runs of registry experiment <paramref name="experimentName"/> that <paramref name="resultsDir"/> does not
    /// hold yet (finished runs are reused, interrupted ones resumed) and returns the aggregated table. Runs on another data
    /// set than the profile's and cut runs live in their own sub-folders so they never mix with the profile's own results.
    /// </summary>
    /// <param name="experimentName">Registry experiment, e.g. <c>table1</c>.</param>
    /// <param name="profileName">Registry profile: smoke, default or paper.</param>
    /// <param name="seeds">Seeds per row; 0 = the profile's.</param>
    /// <param name="resultsDir">Results root shared with <c>researchkit run</c>.</param>
    /// <param name="epochs">Cut every run to this many epochs; 0 = the profile's.</param>
    /// <param name="variants">Keeps only the rows whose variant name it accepts; null keeps all.</param>
    /// <param name="dataset">Another data set the profile's recipe fits; "" = the profile's.</param>
    /// <param name="log">Progress lines; null writes to the console (the cell's output).</param>
    /// <param name="useLanes">On a CPU profile with cores to spare, train the missing runs of a registry profile (not
    /// cut, not moved to another data set) with <c>researchkit run --jobs auto</c>, one run per core (<see cref="CliLanes"/>); false, no
    /// <c>researchkit</c> command, or RESEARCHKIT_CLI=off trains them one after another in the kernel.</param>
    public static ExperimentTable RunOrLoad(string experimentName, string profileName, int seeds, string resultsDir, int epochs = 0,
        Func<string, bool>? variants = null, string dataset = "", Action<string>? log = null, bool useLanes = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resultsDir);
        ArgumentOutOfRangeException.ThrowIfNegative(seeds);
        log ??= Console.WriteLine;
        var experiment = ExperimentRegistry.Get(experimentName);
        if (variants is not null) experiment = experiment with { Variants = experiment.Variants.Where(v => variants(v.Name)).ToList() };
        var profile = NotebookProfile(profileName, epochs, dataset);
        var root = ResultsRoot(resultsDir, profile, epochs, dataset);
        var watch = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(HostStop,
            KernelInvocationContext.Current?.CancellationToken ?? CancellationToken.None);
        int seedCount = seeds > 0 ? seeds : profile.DefaultSeeds;
        // A registry profile as it stands (not cut, not moved to another data set): the CLI knows it by name.
        bool asRegistered = epochs == 0 && ReferenceEquals(profile, Profiles.Get(profileName));
        if (asRegistered && useLanes && CliLanes.Locate() is { } cli
            && CliLanes.Lanes(profile, CliLanes.MissingRuns(experiment, profile, seedCount, root), Environment.ProcessorCount) > 1)
        {
            if (CliLanes.Mismatch(cli) is { } why) log($"training in the kernel, one run at a time: {why}");
            else
            {
                log($"training the missing runs in parallel worker processes: {cli} run {experiment.Name} --profile {profile.Name} --jobs auto");
                int code = CliLanes.Run(cli, experiment, profile, seedCount, root, log, stop.Token,
                    variants is null ? null : experiment.Variants.Select(v => v.Name).ToList());
                if (code != 0 && !stop.IsCancellationRequested)
                    log($"researchkit run ended with exit code {code}; runs it did not finish are trained here");
            }
        }
        var preloaded = profile.HasPaperNumbers ? null : LoadDataset(experiment.Datasets(profile)[0]);
        var table = ExperimentRunner.Run(experiment, profile, root, seedCount,
            options: new TrainerOptions { Dataset = preloaded, Cancellation = stop.Token }, log: log);
        if (table.Stopped is { } stopped)
            throw new OperationCanceledException($"{experiment.Name} at '{profile.Name}' stopped during epoch {stopped.EpochsCompleted + 1}: " +
                $"{table.Missing.Count} run(s) not finished, epochs checkpointed in {ExperimentRunner.OutputFolder(root, experiment, profile)}; " +
                "run the cell again to continue.", stop.Token);
        log($"{experiment.Name} at '{profile.Name}' ({profile.Base.Epochs} epochs): {watch.Elapsed.TotalSeconds:F0} s; " +
            $"results in {Path.GetFullPath(ExperimentRunner.OutputFolder(root, experiment, profile))}");
        return table;
    }

    /// <summary>
    /// Where <see cref="RunOrLoad"/> keeps the experiment folders of <paramref name="profile"/> under <paramref name="resultsDir"/>:
    /// the root itself, or a <c>dataset-*</c> / <c>epochs-*</c> sub-folder for a pinned data set or cut runs, so they never
    /// mix with the profile's own results.
    /// </summary>
    public static string ResultsRoot(string resultsDir, ExperimentProfile profile, int epochs = 0, string dataset = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resultsDir);
        ArgumentNullException.ThrowIfNull(profile);
        var root = profile.DatasetPinned ? Path.Combine(resultsDir, $"dataset-{Slugs.Of(dataset)}") : resultsDir;
        return epochs > 0 ? Path.Combine(root, $"epochs-{epochs}") : root;
    }

    /// <summary>The finished run folders (those with a result.json) of <paramref name="variant"/> in the table's experiment folder, sorted.</summary>
    public static IReadOnlyList<string> RunFolders(ExperimentTable table, string variant)
    {
        ArgumentNullException.ThrowIfNull(table);
        var runs = Path.Combine(Path.GetDirectoryName(table.CsvPath)!, RunLayout.Runs);
        return Directory.EnumerateDirectories(runs, "*", SearchOption.TopDirectoryOnly)
            .Select(ds => Path.Combine(ds, Slugs.Of(variant)))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Where(d => File.Exists(Path.Combine(d, RunLayout.Result))).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The finished run in <paramref name="runDir"/> at its newest checkpoint (<see cref="TrainedRun.LoadLatest"/>): its network
    /// (eval mode), proxies, configuration and data, what the t-SNE and evaluation cells need. The proxies are those of the
    /// run's training classes; the data set is loaded once per kernel session.
    /// </summary>
    /// <exception cref="ArgumentException">The run holds no checkpoint.</exception>
    public static TrainedRun LoadRun(string runDir) =>
        TrainedRun.LoadLatest(runDir, withLoss: true, dataset: LoadDataset(RunDirectory.ReadConfig(runDir).Dataset));
}
