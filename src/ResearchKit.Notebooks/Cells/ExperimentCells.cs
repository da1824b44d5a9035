using System.Collections.Concurrent;
using System.Diagnostics;
using ResearchKit.Data;
using ResearchKit.Similarity;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Models;
using ResearchKit.Training.Runs;
using TorchSharp;

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

    /// <summary>Data set <paramref name="name"/> from the registry, loaded once per process.</summary>
    public static ZeroShotDataset LoadDataset(string name) => LoadedDatasets.GetOrAdd(name, n => DatasetRegistry.Load(n));

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
    public static ExperimentTable RunOrLoad(string experimentName, string profileName, int seeds, string resultsDir, int epochs = 0,
        Func<string, bool>? variants = null, string dataset = "", Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resultsDir);
        ArgumentOutOfRangeException.ThrowIfNegative(seeds);
        log ??= Console.WriteLine;
        var experiment = ExperimentRegistry.Get(experimentName);
        if (variants is not null) experiment = experiment with { Variants = experiment.Variants.Where(v => variants(v.Name)).ToList() };
        var profile = NotebookProfile(profileName, epochs, dataset);
        var root = profile.DatasetPinned ? Path.Combine(resultsDir, $"dataset-{Slugs.Of(dataset)}") : resultsDir;
        if (epochs > 0) root = Path.Combine(root, $"epochs-{epochs}");
        var preloaded = profile.HasPaperNumbers ? null : LoadDataset(experiment.Datasets(profile)[0]);
        var watch = Stopwatch.StartNew();
        var table = ExperimentRunner.Run(experiment, profile, root, seeds > 0 ? seeds : null,
            options: new TrainerOptions { Dataset = preloaded }, log: log);
        log($"{experiment.Name} at '{profile.Name}' ({profile.Base.Epochs} epochs): {watch.Elapsed.TotalSeconds:F0} s; " +
            $"results in {Path.GetFullPath(ExperimentRunner.OutputFolder(root, experiment, profile))}");
        return table;
    }

    /// <summary>The finished run folders (those with a result.json) of <paramref name="variant"/> in the table's experiment folder, sorted.</summary>
    public static IReadOnlyList<string> RunFolders(ExperimentTable table, string variant)
    {
        ArgumentNullException.ThrowIfNull(table);
        var runs = Path.Combine(Path.GetDirectoryName(table.CsvPath)!, "runs");
        return Directory.EnumerateDirectories(runs, "*", SearchOption.TopDirectoryOnly)
            .Select(ds => Path.Combine(ds, Slugs.Of(variant)))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Where(d => File.Exists(Path.Combine(d, "result.json"))).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The trained network (eval mode) and proxy head of the finished run in <paramref name="runDir"/>, from its newest
    /// checkpoint, with its configuration and data: what the t-SNE and evaluation cells need. The proxies are those of the
    /// run's training classes.
    /// </summary>
    /// <exception cref="ArgumentException">The run holds no checkpoint.</exception>
    public static (EmbeddingNetwork Network, ProxySimilarity Proxies, TrainingConfig Config, TrainingData Data) LoadRun(string runDir)
    {
        TrainingConfig cfg;
        string checkpoint;
        using (var run = RunDirectory.Open(runDir))
        {
            cfg = run.LoadConfig();
            checkpoint = run.Checkpoints().List().FirstOrDefault() ?? throw new ArgumentException($"'{runDir}' holds no checkpoint", nameof(runDir));
        }
        var data = TrainingData.For(cfg, LoadDataset(cfg.Dataset));
        var net = BackboneRegistry.Default.CreateEmbeddingNetwork(cfg.Backbone, new EmbeddingHeadOptions { EmbeddingSize = cfg.EmbeddingSize, Pooling = cfg.Pooling });
        var loss = LossFactory.Create(cfg.Loss, data.Train.ClassCount, cfg.EmbeddingSize);
        CheckpointStore.Load(checkpoint, new CheckpointTargets
        {
            Modules = new Dictionary<string, torch.nn.Module> { ["model"] = net, ["loss"] = loss },
            RestoreTorchRng = false,
        });
        net.eval();
        return (net, loss.Head, cfg, data);
    }
}
