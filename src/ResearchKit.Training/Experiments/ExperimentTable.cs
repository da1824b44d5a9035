using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Analysis;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Experiments;

/// <summary>
/// An experiment's results: one row per (data set, variant) with mean and sample sd over seeds of each metric
/// (retrieval metrics in %), the seed count, and the paper's number for the <c>paper</c> profile.
/// Built from the run folders, so shards written by separate processes merge by building it over their common folder.
/// </summary>
/// <param name="Experiment">The experiment.</param>
/// <param name="Profile">The profile.</param>
/// <param name="Frame">The table.</param>
/// <param name="PerEpoch">Per-epoch means (data set, variant, epoch, metric means), for experiments that plot curves; else null.</param>
/// <param name="CsvPath">Where <see cref="Frame"/> was saved.</param>
public sealed record ExperimentTable(Experiment Experiment, ExperimentProfile Profile, DataFrame Frame, DataFrame? PerEpoch, string CsvPath)
{
    /// <summary>Column suffix of means.</summary>
    public const string MeanSuffix = "_mean";
    /// <summary>Column suffix of standard deviations.</summary>
    public const string SdSuffix = "_sd";
    /// <summary>Column prefix of the paper's numbers.</summary>
    public const string PaperPrefix = "paper_";

    /// <summary>Planned runs without a result (with the plan) or finished runs without a label (without one), one line each.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];

    /// <summary>Set by <see cref="ExperimentRunner.Run"/> when a run was stopped (signal or step limit) before the end.</summary>
    public TrainingResult? Stopped { get; init; }

    /// <summary>
    /// Reads every finished run under <paramref name="folder"/> (an experiment output folder) and writes <c>table.csv</c>.
    /// With the folder's <see cref="ExperimentPlan"/>, a planned run counts when its <c>result.json</c> exists (its label is
    /// the plan's) and every other planned run is listed in <see cref="Missing"/>; without one (older folders), runs are
    /// found by their labels and a finished run without a label is listed as missing instead of silently dropped.
    /// </summary>
    /// <param name="folder">The experiment folder.</param>
    /// <param name="requireRuns">Throw when no run has finished yet (report); false gives an empty table (a shard's first run).</param>
    /// <exception cref="ArgumentException">The folder holds no runs (or none finished, with <paramref name="requireRuns"/>), or runs of
    /// more than one experiment/profile.</exception>
    /// <exception cref="InvalidDataException">A result, label, plan or metrics file is unreadable; the message names it.</exception>
    public static ExperimentTable Build(string folder, bool requireRuns = true)
    {
        var plan = ExperimentPlan.Read(folder);
        var labelled = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, RunLabel.FileName, SearchOption.AllDirectories)
                .Select(f => (Dir: Path.GetDirectoryName(f)!, Label: ReadJson<RunLabel>(f)))
                .ToList()
            : [];
        var missing = new List<string>();
        List<(string Dir, RunLabel Label)> runs;
        if (plan is not null)
        {
            runs = plan.Runs.Select(r => (Dir: Path.Combine(folder, r.Path), Label: new RunLabel(plan.Experiment, plan.Profile, r.Dataset, r.Variant, r.Seed))).ToList();
            missing.AddRange(runs.Where(r => !File.Exists(Path.Combine(r.Dir, RunDirectory.ResultFileName)))
                .Select(r => $"{r.Label.Dataset} / {r.Label.Variant} / seed {r.Label.Seed} (no result in {r.Dir})"));
            runs.AddRange(labelled.Where(l => l.Label.Experiment != plan.Experiment || l.Label.Profile != plan.Profile));
        }
        else
        {
            runs = labelled;
            var labelledDirs = labelled.Select(l => Path.GetFullPath(l.Dir)).ToHashSet();
            if (Directory.Exists(folder))
                missing.AddRange(Directory.EnumerateFiles(folder, RunDirectory.ResultFileName, SearchOption.AllDirectories)
                    .Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!).Where(d => !labelledDirs.Contains(d))
                    .Select(d => $"finished run without {RunLabel.FileName}, not counted: {d}"));
        }
        if (runs.Count == 0) throw new ArgumentException($"'{folder}' holds no experiment runs (no {ExperimentPlan.FileName} or {RunLabel.FileName} below it).", nameof(folder));
        var names = runs.Select(r => (r.Label.Experiment, r.Label.Profile)).Distinct().ToList();
        if (names.Count > 1) throw new ArgumentException($"'{folder}' mixes experiments/profiles: {string.Join(", ", names)}.", nameof(folder));
        var experiment = ExperimentRegistry.Get(names[0].Experiment);
        var profile = Profiles.Get(names[0].Profile);
        var finished = runs.Where(r => File.Exists(Path.Combine(r.Dir, RunDirectory.ResultFileName)))
            .Select(r => (r.Dir, r.Label, Result: ReadJson<TrainingResult>(Path.Combine(r.Dir, RunDirectory.ResultFileName))))
            .ToList();
        if (finished.Count == 0 && requireRuns)
            throw new ArgumentException($"'{folder}' holds no finished run yet ({missing.Count} planned run(s) not finished).", nameof(folder));

        var order = experiment.Variants.Select((v, i) => (v.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var datasets = experiment.Datasets(profile).Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i);
        var groups = finished.GroupBy(r => (r.Label.Dataset, r.Label.Variant))
            .OrderBy(g => datasets.GetValueOrDefault(g.Key.Dataset, int.MaxValue)).ThenBy(g => order.GetValueOrDefault(g.Key.Variant, int.MaxValue)).ToList();

        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("dataset", groups.Select(g => g.Key.Dataset)),
            new StringDataFrameColumn("variant", groups.Select(g => g.Key.Variant)),
            new Int32DataFrameColumn("seeds", groups.Select(g => (int?)g.Count())),
        };
        foreach (var m in experiment.Metrics)
        {
            var stats = groups.Select(g => MeanSd(g.Select(r => r.Result.FinalMetrics.TryGetValue(m, out var v) ? v * Scale(m) : double.NaN))).ToList();
            columns.Add(new DoubleDataFrameColumn(m + MeanSuffix, stats.Select(s => s.Mean)));
            columns.Add(new DoubleDataFrameColumn(m + SdSuffix, stats.Select(s => s.Sd)));
            if (profile.HasPaperNumbers)
                columns.Add(new DoubleDataFrameColumn(PaperPrefix + m, groups.Select(g => experiment.Paper.Get(g.Key.Dataset, g.Key.Variant, m))));
        }
        var frame = new DataFrame(columns);
        var csv = Path.Combine(folder, "table.csv");
        // Atomic: the shards of a Slurm array each rebuild the table when they finish, possibly at the same moment.
        AtomicFile.Write(csv, s => DataFrame.SaveCsv(frame, s, cultureInfo: CultureInfo.InvariantCulture));
        DataFrame? perEpoch = null;
        if (experiment.PerEpoch)
        {
            perEpoch = EpochSeries(experiment, finished.Select(r => (r.Dir, r.Label)).ToList());
            AtomicFile.Write(Path.Combine(folder, "epochs.csv"), s => DataFrame.SaveCsv(perEpoch, s, cultureInfo: CultureInfo.InvariantCulture));
        }
        return new ExperimentTable(experiment, profile, frame, perEpoch, csv) { Missing = missing };
    }

    private static T ReadJson<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), TrainingConfigJson.Options)
                ?? throw new InvalidDataException($"{path}: holds null instead of a {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid {typeof(T).Name} (half-written or edited?): {e.Message}", e);
        }
    }

    private static double Scale(string metric) => metric.StartsWith(Trainer.DeviationMetric, StringComparison.Ordinal) ? 1 : 100;

    private static (double? Mean, double? Sd) MeanSd(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        if (v.Count == 0) return (null, null);
        double mean = v.Average();
        double? sd = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : null;
        return (mean, sd);
    }

    private static DataFrame EpochSeries(Experiment experiment, List<(string Dir, RunLabel Label)> runs)
    {
        var rows = runs.SelectMany(r => RunDirectory.ReadEpochs(r.Dir).Select(e => (r.Label, Row: e)))
            .GroupBy(x => (x.Label.Dataset, x.Label.Variant, Epoch: (int)x.Row["epoch"]!))
            .OrderBy(g => g.Key.Dataset).ThenBy(g => g.Key.Variant).ThenBy(g => g.Key.Epoch).ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("dataset", rows.Select(g => g.Key.Dataset)),
            new StringDataFrameColumn("variant", rows.Select(g => g.Key.Variant)),
            new Int32DataFrameColumn("epoch", rows.Select(g => (int?)g.Key.Epoch)),
        };
        foreach (var m in experiment.Metrics)
            columns.Add(new DoubleDataFrameColumn(m + MeanSuffix, rows.Select(g => MeanSd(g.Select(x =>
                x.Row.TryGetPropertyValue(m, out var n) && n is not null && n.GetValueKind() == JsonValueKind.Number ? n.GetValue<double>() * Scale(m) : double.NaN)).Mean)));
        return new DataFrame(columns);
    }

    /// <summary>
    /// The table for display (notebooks render it as HTML): data set, variant, seeds, then per metric <c>mean ± sd</c> as text
    /// (retrieval metrics in %, the deviation raw) and, on the <c>paper</c> profile, the paper's number beside it.
    /// <see cref="Frame"/> keeps the raw numbers for computing.
    /// </summary>
    public DataFrame ToDataFrame()
    {
        var rows = Enumerable.Range(0, (int)Frame.Rows.Count).ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("dataset", rows.Select(r => (string)Frame["dataset"][r])),
            new StringDataFrameColumn("variant", rows.Select(r => (string)Frame["variant"][r])),
            new Int32DataFrameColumn("seeds", rows.Select(r => (int?)Frame["seeds"][r])),
        };
        foreach (var m in Experiment.Metrics)
        {
            columns.Add(new StringDataFrameColumn(Scale(m) == 1 ? Short(m) : $"{Short(m)} (%)", rows.Select(r => MeanSdText(m, r))));
            if (Profile.HasPaperNumbers)
                columns.Add(new DoubleDataFrameColumn($"paper {Short(m)}", rows.Select(r => (double?)Frame[PaperPrefix + m][r])));
        }
        return new DataFrame(columns);
    }

    private string MeanSdText(string metric, long row)
    {
        var mean = (double?)Frame[metric + MeanSuffix][row];
        var sd = (double?)Frame[metric + SdSuffix][row];
        string digits = Scale(metric) == 1 ? "F4" : "F1";
        return mean is null ? "–" : mean.Value.ToString(digits, CultureInfo.InvariantCulture) + (sd is null ? "" : " ± " + sd.Value.ToString(digits, CultureInfo.InvariantCulture));
    }

    /// <summary>The table as aligned text: <c>mean ± sd</c> per metric, the paper's value in brackets when known.</summary>
    public string Format()
    {
        var header = new List<string> { "dataset", "variant", "seeds" };
        header.AddRange(Experiment.Metrics.Select(Short));
        var lines = new List<string[]> { header.ToArray() };
        for (long r = 0; r < Frame.Rows.Count; r++)
        {
            var cells = new List<string> { (string)Frame["dataset"][r], (string)Frame["variant"][r], Frame["seeds"][r]?.ToString() ?? "" };
            foreach (var m in Experiment.Metrics)
            {
                var cell = MeanSdText(m, r);
                if (Profile.HasPaperNumbers && (double?)Frame[PaperPrefix + m][r] is { } paper) cell += $" [{paper.ToString("F1", CultureInfo.InvariantCulture)}]";
                cells.Add(cell);
            }
            lines.Add(cells.ToArray());
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => lines.Max(l => l[c].Length)).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine($"{Experiment.Name} ({Profile.Name} profile): {Experiment.Description}");
        foreach (var l in lines) sb.AppendLine(string.Join("  ", l.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        sb.Append(Profile.HasPaperNumbers ? "Values in % (deviation raw); [paper's number]." : "Values in % (deviation raw), mean ± sd over seeds.");
        if (Missing.Count > 0)
        {
            sb.AppendLine().Append($"missing from the table: {Missing.Count} run(s)");
            foreach (var m in Missing.Take(20)) sb.AppendLine().Append("  ").Append(m);
            if (Missing.Count > 20) sb.AppendLine().Append($"  and {Missing.Count - 20} more");
        }
        return sb.ToString();
    }

    private static string Short(string metric) => metric
        .Replace("recall_at_", "R@", StringComparison.Ordinal).Replace("mean_average_precision_at_r", "MAP@R", StringComparison.Ordinal)
        .Replace("precision_at_1", "P@1", StringComparison.Ordinal);
}
