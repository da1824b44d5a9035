// Shared setup of the kit's notebooks. Import it on the first line of a notebook's first code cell:
//
//     #!import _setup.csx
//
// It runs in VS Code Polyglot Notebooks (dotnet-interactive) and in `researchkit notebook run`; both resolve the
// paths below against the notebook's folder, so notebooks live next to this file in notebooks/.
// The references point at the CLI's RID-specific build output, the one project that references every kit library: the
// kit, its dependencies, the Playwright driver and the patched libtorch sit side by side there (one folder, one libtorch;
// docs/native-libtorch.md). bin/notebook-kit is a link the CLI's build makes to that folder: to the Release build, or to
// the Debug build while no Release build exists (so `dotnet test` without -c Release works too). Build it first:
//
//     dotnet build src/ResearchKit.Cli -c Release
//
// Never `#r "nuget:TorchSharp-cpu"` in a notebook: it would load a second, unpatched libtorch.
#r "../src/ResearchKit.Cli/bin/notebook-kit/TorchSharp.dll"
#r "../src/ResearchKit.Cli/bin/notebook-kit/ResearchKit.dll"
#r "../src/ResearchKit.Cli/bin/notebook-kit/ResearchKit.Data.dll"
#r "../src/ResearchKit.Cli/bin/notebook-kit/ResearchKit.Training.dll"
#r "../src/ResearchKit.Cli/bin/notebook-kit/Microsoft.Data.Analysis.dll"
#r "../src/ResearchKit.Cli/bin/notebook-kit/Plotly.NET.dll"
#r "../src/ResearchKit.Cli/bin/notebook-kit/Plotly.NET.CSharp.dll"
#r "../src/ResearchKit.Cli/bin/notebook-kit/ResearchKit.Notebooks.dll"

using System.Diagnostics;
using System.IO;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.Data.Analysis;
using Plotly.NET;
using ResearchKit.Data;
using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Models;
using ResearchKit.Training.Runs;
using ResearchKit.Similarity;
using ResearchKit.Notebooks.Charts;
using ResearchKit.Notebooks.Embedding;
using ResearchKit.Notebooks.Export;
using ResearchKit.Notebooks.Formatting;

// Offline renderers for charts (plotly.js inline), data frames and kit result types.
NotebookFormatters.Register();

// ---- Helpers shared by the ablation notebooks ---------------------------------------------------------------------

/// <summary>Metric names of the kit (run metrics; the tables show them in %).</summary>
const string R1 = "recall_at_1", R2 = "recall_at_2", R4 = "recall_at_4", R8 = "recall_at_8",
    MapR = "mean_average_precision_at_r", P1 = "precision_at_1";

/// <summary>Short column names: R@1, MAP@R, P@1.</summary>
string ShortMetric(string metric) => metric.Replace("recall_at_", "R@").Replace("mean_average_precision_at_r", "MAP@R")
    .Replace("precision_at_1", "P@1");

/// <summary>
/// A registry profile, optionally on another data set (<paramref name="dataset"/>; "" keeps the profile's) and cut to
/// <paramref name="epochs"/> (0 keeps the profile's): the CP start epoch keeps its fraction of the run, the LR steps every
/// third of the run.
/// </summary>
ExperimentProfile NotebookProfile(string name, int epochs = 0, string dataset = "")
{
    var p = Profiles.Get(name);
    if (dataset != "" && !p.Datasets.SequenceEqual(new[] { dataset })) p = p.WithDataset(dataset);
    if (epochs <= 0 || epochs == p.Base.Epochs) return p;
    var b = p.Base;
    int start = Math.Clamp((int)Math.Round(b.Loss.Cp.StartEpoch * epochs / (double)b.Epochs), 0, Math.Max(0, epochs - 1));
    return p with
    {
        Base = b with
        {
            Epochs = epochs, EvalEveryEpochs = epochs, Schedule = b.Schedule with { StepSize = Math.Max(1, epochs / 3) },
            Loss = b.Loss with { Cp = b.Loss.Cp with { StartEpoch = start } },
        },
    };
}

// Data sets loaded once per notebook session and handed to every run.
Dictionary<string, ZeroShotDataset> LoadedDatasets = new();

ZeroShotDataset LoadDataset(string name)
{
    if (!LoadedDatasets.TryGetValue(name, out var d)) LoadedDatasets[name] = d = DatasetRegistry.Load(name);
    return d;
}

/// <summary>
/// Trains the runs of a registry experiment that <paramref name="resultsDir"/> does not hold yet (finished runs are
/// reused, interrupted ones resumed) and returns the aggregated table. Runs on another data set than the profile's
/// (<paramref name="dataset"/>; "" = the profile's) and cut runs (<paramref name="epochs"/> &gt; 0) live in their own
/// sub-folders so they never mix with the profile's own results. <paramref name="variants"/> keeps only some rows.
/// </summary>
ExperimentTable RunOrLoad(string experimentName, string profileName, int seeds, string resultsDir, int epochs = 0,
    Func<string, bool>? variants = null, string dataset = "")
{
    var experiment = ExperimentRegistry.Get(experimentName);
    if (variants is not null) experiment = experiment with { Variants = experiment.Variants.Where(v => variants(v.Name)).ToList() };
    var profile = NotebookProfile(profileName, epochs, dataset);
    var root = profile.DatasetPinned ? Path.Combine(resultsDir, $"dataset-{Slugs.Of(dataset)}") : resultsDir;
    if (epochs > 0) root = Path.Combine(root, $"epochs-{epochs}");
    var preloaded = profile.HasPaperNumbers ? null : LoadDataset(experiment.Datasets(profile)[0]);
    var watch = Stopwatch.StartNew();
    var table = ExperimentRunner.Run(experiment, profile, root, seeds > 0 ? seeds : null,
        options: new TrainerOptions { Dataset = preloaded }, log: Console.WriteLine);
    Console.WriteLine($"{experiment.Name} at '{profile.Name}' ({profile.Base.Epochs} epochs): {watch.Elapsed.TotalSeconds:F0} s; results in {Path.GetFullPath(ExperimentRunner.OutputFolder(root, experiment, profile))}");
    return table;
}

/// <summary>The finished run folders of one variant in a table's experiment folder.</summary>
IReadOnlyList<string> RunFolders(ExperimentTable table, string variant) =>
    Directory.EnumerateDirectories(Path.Combine(Path.GetDirectoryName(table.CsvPath)!, "runs"), "*", SearchOption.TopDirectoryOnly)
        .SelectMany(ds => Directory.EnumerateDirectories(Path.Combine(ds, Slugs.Of(variant))))
        .Where(d => File.Exists(Path.Combine(d, "result.json"))).Order().ToList();

/// <summary>
/// The trained network (eval mode) and proxy head of a finished run, from its newest checkpoint: what the t-SNE and
/// evaluation cells need. The proxies are those of the run's training classes.
/// </summary>
(EmbeddingNetwork Network, ProxySimilarity Proxies, TrainingConfig Config, TrainingData Data) LoadRun(string runDir)
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
        Modules = new Dictionary<string, torch.nn.Module> { ["model"] = net, ["loss"] = loss.Module }, RestoreTorchRng = false,
    });
    net.eval();
    return (net, loss.Proxies, cfg, data);
}

/// <summary>
/// Our numbers beside the paper's: one row per (data set, variant) with our mean ± sd (%) of each metric, and the paper's
/// value for the same variant on CUB and Cars (on the <c>paper</c> profile: for the row's own data set).
/// </summary>
DataFrame CompareWithPaper(ExperimentTable table, IReadOnlyList<string> metrics, Func<string, string>? paperVariant = null)
{
    var f = table.Frame;
    int n = (int)f.Rows.Count;
    var rows = Enumerable.Range(0, n).ToList();
    string Variant(int r) => (string)f["variant"][r];
    var columns = new List<DataFrameColumn>
    {
        new StringDataFrameColumn("data set", rows.Select(r => (string)f["dataset"][r])),
        new StringDataFrameColumn("variant", rows.Select(Variant)),
        new Int32DataFrameColumn("seeds", rows.Select(r => (int?)f["seeds"][r])),
    };
    foreach (var m in metrics)
    {
        columns.Add(new StringDataFrameColumn($"ours {ShortMetric(m)}", rows.Select(r =>
        {
            var mean = (double?)f[m + ExperimentTable.MeanSuffix][r];
            var sd = (double?)f[m + ExperimentTable.SdSuffix][r];
            return mean is null ? "–" : mean.Value.ToString("F1", CultureInfo.InvariantCulture) + (sd is null ? "" : " ± " + sd.Value.ToString("F1", CultureInfo.InvariantCulture));
        })));
        var paperSets = table.Profile.HasPaperNumbers ? new[] { "" } : new[] { "cub", "cars" };
        foreach (var ds in paperSets)
        {
            var paper = rows.Select(r => table.Experiment.Paper.Get(ds == "" ? (string)f["dataset"][r] : ds, (paperVariant ?? (v => v))(Variant(r)), m)).ToList();
            if (paper.Any(v => v is not null)) // the paper reports this metric for some row
                columns.Add(new DoubleDataFrameColumn(ds == "" ? $"paper {ShortMetric(m)}" : $"paper {ds.ToUpperInvariant()} {ShortMetric(m)}", paper));
        }
    }
    return new DataFrame(columns);
}

/// <summary>
/// Grouped bars of one metric: our variants on the profile's data set, then the paper's CUB and Cars numbers for the same
/// variants (different data sets: compare the ordering of the bars, not their heights).
/// </summary>
GenericChart OursVersusPaperBars(ExperimentTable table, string metric, string title, Func<string, string>? label = null,
    Func<string, string>? paperVariant = null)
{
    label ??= v => v;
    var bars = new List<AblationBar>();
    var f = table.Frame;
    for (int r = 0; r < f.Rows.Count; r++)
    {
        var variant = (string)f["variant"][r];
        if ((double?)f[metric + ExperimentTable.MeanSuffix][r] is { } mean)
            bars.Add(new AblationBar($"{f["dataset"][r]} (ours, {table.Profile.Name})", label(variant), mean / 100,
                ((double?)f[metric + ExperimentTable.SdSuffix][r] ?? 0) / 100));
        if (table.Profile.HasPaperNumbers) continue;
        foreach (var ds in new[] { "cub", "cars" })
            if (table.Experiment.Paper.Get(ds, (paperVariant ?? (v => v))(variant), metric) is { } paper)
                bars.Add(new AblationBar($"{ds.ToUpperInvariant()} (paper)", label(variant), paper / 100));
    }
    return KitCharts.AblationBars(bars.DistinctBy(b => (b.Group, b.Variant)), metric: ShortMetric(metric), title: title);
}

/// <summary>
/// Writes each figure as PNG, SVG and PDF into <paramref name="dir"/> (headless Chromium; see notebooks/README.md) and
/// shows the PNGs, as the paper will get them. With <paramref name="export"/> false it writes nothing and says why: when no
/// Chromium is installed, with the fix.
/// </summary>
async Task ExportFigures(bool export, string dir, params (string Name, GenericChart Chart)[] figures)
{
    if (!export)
    {
        try
        {
            ChromiumLocator.Find();
            Console.WriteLine("Figures not exported (exportFigures = false).");
        }
        catch (ChromiumNotFoundException e)
        {
            Console.WriteLine($"Figures not exported: {e.Message}");
        }
        return;
    }
    Directory.CreateDirectory(dir);
    await using var exporter = await FigureExporter.StartAsync();
    foreach (var (name, chart) in figures)
        foreach (var ext in new[] { "png", "svg", "pdf" })
            await exporter.SaveAsync(chart, Path.Combine(dir, $"{name}.{ext}"));
    Console.WriteLine($"wrote {figures.Length * 3} files to {Path.GetFullPath(dir)}: " + string.Join(", ", figures.Select(f => f.Name + ".{png,svg,pdf}")));
    foreach (var (name, _) in figures) display(PngImage.Load(Path.Combine(dir, $"{name}.png")));
}
