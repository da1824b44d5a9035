using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Analysis;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Experiments;

/// <summary>
/// An experiment's results: one row per (data set, variant) with mean and sample sd over seeds of each metric (shown values:
/// percentages in %, as their <see cref="MetricDefinition"/> says), the seed count, and the paper's number for the <c>paper</c>
/// profile. Built from the run folders, so shards written by separate processes merge by building it over their common folder.
/// </summary>
/// <param name="Experiment">The experiment that ran (a notebook's filtered variants included): its metrics are the columns.</param>
/// <param name="Profile">The profile it ran at (a cut run's epochs included); paper numbers appear when it has them.</param>
/// <param name="Frame">The numbers: data set, variant, seeds, then per metric <see cref="MeanColumn"/>, <see cref="SdColumn"/> and, with paper
/// numbers, <see cref="PaperColumn"/>; also written to <see cref="CsvPath"/>.</param>
/// <param name="PerEpoch">Per-epoch means (data set, variant, epoch, metric means), for experiments that plot curves; else null.</param>
/// <param name="CsvPath">Where <see cref="Frame"/> was saved.</param>
public sealed record ExperimentTable(Experiment Experiment, ExperimentProfile Profile, DataFrame Frame, DataFrame? PerEpoch, string CsvPath)
{
    // Frame column names: <metric key>_mean, <metric key>_sd, paper_<metric key> (also table.csv's header).
    private const string MeanSuffix = "_mean", SdSuffix = "_sd", PaperPrefix = "paper_";

    /// <summary>Planned runs without a result (with the plan) or finished runs without a label (without one), one line each.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];

    /// <summary>Set by <see cref="ExperimentRunner.Run"/> when a run was stopped (signal or step limit) before the end.</summary>
    public TrainingResult? Stopped { get; init; }

    /// <summary>The <see cref="Frame"/> column of a metric's means over seeds (shown values: percent for percentages).</summary>
    public static string MeanColumn(MetricDefinition metric) => Key(metric) + MeanSuffix;
    /// <summary>The <see cref="Frame"/> column of a metric's sample standard deviations over seeds (shown values).</summary>
    public static string SdColumn(MetricDefinition metric) => Key(metric) + SdSuffix;
    /// <summary>The <see cref="Frame"/> column of the paper's numbers of a metric (profiles with paper numbers).</summary>
    public static string PaperColumn(MetricDefinition metric) => PaperPrefix + Key(metric);

    private static string Key(MetricDefinition metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return metric.Key;
    }

    /// <summary>
    /// Reads every finished run under <paramref name="folder"/> (an experiment output folder) and writes its table
    /// (<see cref="RunLayout.Table"/>) for the registry's experiment and profile the folder's plan or labels name
    /// (<c>researchkit report</c>). Finished runs of a variant the experiment no longer has are listed in <see cref="Missing"/>.
    /// </summary>
    /// <param name="folder">The experiment folder (<see cref="ExperimentRunner.OutputFolder"/>).</param>
    /// <param name="requireRuns">Throw when no run has finished yet (report); false gives an empty table (a shard's first run).</param>
    /// <exception cref="ArgumentException">The folder holds no runs (or none finished, with <paramref name="requireRuns"/>), or runs of
    /// more than one experiment/profile.</exception>
    /// <exception cref="InvalidDataException">A result, label, plan or metrics file is unreadable; the message names it.</exception>
    public static ExperimentTable Build(string folder, bool requireRuns = true)
    {
        var runs = FindRuns(folder, out var missing);
        var (experimentName, profileName) = OneExperiment(folder, runs);
        var experiment = ExperimentRegistry.Get(experimentName);
        var variants = experiment.Variants.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        missing.AddRange(runs.Where(r => !variants.Contains(r.Label.Variant) && File.Exists(Path.Combine(r.Dir, RunLayout.Result)))
            .Select(r => ((string?)r.Label.Variant, $"finished run of a variant {experiment.Name} no longer has ('{r.Label.Variant}'), not counted: {r.Dir}")));
        return Build(experiment, Profiles.Get(profileName), folder, runs, missing, requireRuns);
    }

    /// <summary>
    /// The table of <paramref name="experiment"/> run at <paramref name="profile"/> into <paramref name="folder"/> (its
    /// <see cref="ExperimentRunner.OutputFolder"/>): the instances that ran, so a filtered list of variants keeps only its
    /// rows and a cut profile its epochs; writes <see cref="RunLayout.Table"/>. With the folder's <see cref="ExperimentPlan"/>,
    /// a planned run counts when its result exists and every other planned run of the experiment's variants is listed in
    /// <see cref="Missing"/>; without one (older folders), runs are found by their labels and a finished run without a label
    /// is listed as missing instead of silently dropped.
    /// </summary>
    /// <exception cref="ArgumentException">The folder holds no runs of this experiment and profile (or none finished, with
    /// <paramref name="requireRuns"/>), or runs of another experiment or profile.</exception>
    /// <exception cref="InvalidDataException">A result, label, plan or metrics file is unreadable; the message names it.</exception>
    public static ExperimentTable Build(Experiment experiment, ExperimentProfile profile, string folder, bool requireRuns = true)
    {
        var runs = RunsOf(experiment, profile, folder, out var missing);
        return Build(experiment, profile, folder, runs, missing, requireRuns);
    }

    /// <summary>
    /// The finished runs of <paramref name="experiment"/> at <paramref name="profile"/> in <paramref name="folder"/>, one per
    /// seed and variant, for statistics a table's mean ± sd cannot give (paired differences over seeds, per-epoch series).
    /// </summary>
    /// <exception cref="ArgumentException">The folder holds no runs, or runs of another experiment or profile.</exception>
    /// <exception cref="InvalidDataException">A result, label or plan file is unreadable; the message names it.</exception>
    public static IReadOnlyList<FinishedRun> FinishedRuns(Experiment experiment, ExperimentProfile profile, string folder) =>
        Finished(RunsOf(experiment, profile, folder, out _));

    private static List<(string Dir, RunLabel Label)> RunsOf(Experiment experiment, ExperimentProfile profile, string folder,
        out List<(string? Variant, string Line)> missing)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(profile);
        var runs = FindRuns(folder, out missing);
        var names = OneExperiment(folder, runs);
        if (names != (experiment.Name, profile.Name))
            throw new ArgumentException($"'{folder}' holds runs of {names.Experiment}/{names.Profile}, not of {experiment.Name}/{profile.Name}.", nameof(folder));
        var variants = experiment.Variants.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        missing.RemoveAll(m => m.Variant is { } v && !variants.Contains(v));
        return runs.Where(r => variants.Contains(r.Label.Variant)).ToList();
    }

    private static List<FinishedRun> Finished(IEnumerable<(string Dir, RunLabel Label)> runs) =>
        runs.Where(r => File.Exists(Path.Combine(r.Dir, RunLayout.Result)))
            .Select(r => new FinishedRun(r.Label, r.Dir, ReadJson<TrainingResult>(Path.Combine(r.Dir, RunLayout.Result))))
            .ToList();

    // The runs of a folder: its plan's, or (folders written before plans) those with a label. Missing lines carry the
    // variant they belong to, so a table of some of the variants leaves the others' out.
    private static List<(string Dir, RunLabel Label)> FindRuns(string folder, out List<(string? Variant, string Line)> missing)
    {
        var plan = ExperimentPlan.Read(folder);
        var labelled = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, RunLayout.Label, SearchOption.AllDirectories)
                .Select(f => (Dir: Path.GetDirectoryName(f)!, Label: ReadJson<RunLabel>(f)))
                .ToList()
            : [];
        missing = [];
        List<(string Dir, RunLabel Label)> runs;
        if (plan is not null)
        {
            runs = plan.Runs.Select(r => (Dir: Path.Combine(folder, r.Path), Label: new RunLabel(plan.Experiment, plan.Profile, r.Dataset, r.Variant, r.Seed))).ToList();
            missing.AddRange(runs.Where(r => !File.Exists(Path.Combine(r.Dir, RunLayout.Result)))
                .Select(r => ((string?)r.Label.Variant, $"{r.Label.Dataset} / {r.Label.Variant} / seed {r.Label.Seed} (no result in {r.Dir})")));
            runs.AddRange(labelled.Where(l => l.Label.Experiment != plan.Experiment || l.Label.Profile != plan.Profile));
        }
        else
        {
            runs = labelled;
            var labelledDirs = labelled.Select(l => Path.GetFullPath(l.Dir)).ToHashSet();
            if (Directory.Exists(folder))
                missing.AddRange(Directory.EnumerateFiles(folder, RunLayout.Result, SearchOption.AllDirectories)
                    .Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!).Where(d => !labelledDirs.Contains(d))
                    .Select(d => ((string?)null, $"finished run without {RunLayout.Label}, not counted: {d}")));
        }
        if (runs.Count == 0) throw new ArgumentException($"'{folder}' holds no experiment runs (no {RunLayout.Plan} or {RunLayout.Label} below it).", nameof(folder));
        return runs;
    }

    private static (string Experiment, string Profile) OneExperiment(string folder, List<(string Dir, RunLabel Label)> runs)
    {
        var names = runs.Select(r => (r.Label.Experiment, r.Label.Profile)).Distinct().ToList();
        if (names.Count > 1) throw new ArgumentException($"'{folder}' mixes experiments/profiles: {string.Join(", ", names)}.", nameof(folder));
        return names[0];
    }

    private static ExperimentTable Build(Experiment experiment, ExperimentProfile profile, string folder, List<(string Dir, RunLabel Label)> runs,
        List<(string? Variant, string Line)> missing, bool requireRuns)
    {
        var finished = Finished(runs);
        if (finished.Count == 0 && requireRuns)
            throw new ArgumentException($"'{folder}' holds no finished run yet ({missing.Count} planned run(s) not finished).", nameof(folder));

        var variants = experiment.Variants.ToDictionary(v => v.Name, StringComparer.Ordinal);
        var order = experiment.Variants.Select((v, i) => (v.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var datasets = experiment.Datasets(profile).Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i);
        var groups = finished.Where(r => variants.ContainsKey(r.Label.Variant)).GroupBy(r => (r.Label.Dataset, r.Label.Variant))
            .OrderBy(g => datasets.GetValueOrDefault(g.Key.Dataset, int.MaxValue)).ThenBy(g => order[g.Key.Variant]).ToList();

        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("dataset", groups.Select(g => g.Key.Dataset)),
            new StringDataFrameColumn("variant", groups.Select(g => g.Key.Variant)),
            new Int32DataFrameColumn("seeds", groups.Select(g => (int?)g.Count())),
        };
        foreach (var m in experiment.Metrics)
        {
            var stats = groups.Select(g => MeanSd.Of(g.Select(r => r.Result.Value(m) is { } v ? m.Shown(v) : double.NaN))).ToList();
            columns.Add(new DoubleDataFrameColumn(MeanColumn(m), stats.Select(s => s.Mean)));
            columns.Add(new DoubleDataFrameColumn(SdColumn(m), stats.Select(s => s.Sd)));
            if (profile.HasPaperNumbers)
                columns.Add(new DoubleDataFrameColumn(PaperColumn(m), groups.Select(g => experiment.Paper.Get(g.Key.Dataset, variants[g.Key.Variant], m))));
        }
        var frame = new DataFrame(columns);
        var csv = Path.Combine(folder, RunLayout.Table);
        // Atomic: the shards of a Slurm array each rebuild the table when they finish, possibly at the same moment.
        AtomicFile.Write(csv, s => DataFrame.SaveCsv(frame, s, encoding: new System.Text.UTF8Encoding(false), cultureInfo: CultureInfo.InvariantCulture));
        DataFrame? perEpoch = null;
        if (experiment.PerEpoch)
        {
            perEpoch = EpochSeries(experiment, finished.Where(r => variants.ContainsKey(r.Label.Variant)).Select(r => (r.Dir, r.Label)).ToList());
            AtomicFile.Write(Path.Combine(folder, RunLayout.EpochTable), s => DataFrame.SaveCsv(perEpoch, s, encoding: new System.Text.UTF8Encoding(false), cultureInfo: CultureInfo.InvariantCulture));
        }
        return new ExperimentTable(experiment, profile, frame, perEpoch, csv) { Missing = missing.Select(m => m.Line).ToList() };
    }

    /// <summary>Reads a run or experiment file; a damaged one is an <see cref="InvalidDataException"/> naming it.</summary>
    internal static T ReadJson<T>(string path)
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

    private static DataFrame EpochSeries(Experiment experiment, List<(string Dir, RunLabel Label)> runs)
    {
        var rows = runs.SelectMany(r => RunDirectory.ReadEpochs(r.Dir).Select(e => (r.Label, Row: e)))
            .GroupBy(x => (x.Label.Dataset, x.Label.Variant, x.Row.Epoch))
            .OrderBy(g => g.Key.Dataset).ThenBy(g => g.Key.Variant).ThenBy(g => g.Key.Epoch).ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("dataset", rows.Select(g => g.Key.Dataset)),
            new StringDataFrameColumn("variant", rows.Select(g => g.Key.Variant)),
            new Int32DataFrameColumn("epoch", rows.Select(g => (int?)g.Key.Epoch)),
        };
        foreach (var m in experiment.Metrics)
            columns.Add(new DoubleDataFrameColumn(MeanColumn(m), rows.Select(g => MeanSd.Of(g.Select(x => x.Row.Value(m) is { } v ? m.Shown(v) : double.NaN)).Mean)));
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
            columns.Add(new StringDataFrameColumn(m.Header, rows.Select(r => MeanSdText(m, r))));
            if (Profile.HasPaperNumbers)
                columns.Add(new DoubleDataFrameColumn($"paper {m.Label}", rows.Select(r => (double?)Frame[PaperColumn(m)][r])));
        }
        return new DataFrame(columns);
    }

    private string MeanSdText(MetricDefinition metric, long row) =>
        metric.FormatMeanSd((double?)Frame[MeanColumn(metric)][row], (double?)Frame[SdColumn(metric)][row]);

    /// <summary>The table as aligned text: <c>mean ± sd</c> per metric, the paper's value in brackets when known.</summary>
    public string Format()
    {
        var header = new List<string> { "dataset", "variant", "seeds" };
        header.AddRange(Experiment.Metrics.Select(m => m.Label));
        var lines = new List<string[]> { header.ToArray() };
        for (long r = 0; r < Frame.Rows.Count; r++)
        {
            var cells = new List<string> { (string)Frame["dataset"][r], (string)Frame["variant"][r], Frame["seeds"][r]?.ToString() ?? "" };
            foreach (var m in Experiment.Metrics)
            {
                var cell = MeanSdText(m, r);
                if (Profile.HasPaperNumbers && (double?)Frame[PaperColumn(m)][r] is { } paper) cell += $" [{m.Format(paper)}]";
                cells.Add(cell);
            }
            lines.Add(cells.ToArray());
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => lines.Max(l => l[c].Length)).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine($"{Experiment.Name} ({Profile.Name} profile): {Experiment.Description}");
        foreach (var l in lines) sb.AppendLine(string.Join("  ", l.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        sb.Append(Units() + (Profile.HasPaperNumbers ? "; [paper's number]." : ", mean ± sd over seeds."));
        if (Missing.Count > 0)
        {
            sb.AppendLine().Append($"missing from the table: {Missing.Count} run(s)");
            foreach (var m in Missing.Take(20)) sb.AppendLine().Append("  ").Append(m);
            if (Missing.Count > 20) sb.AppendLine().Append($"  and {Missing.Count - 20} more");
        }
        return sb.ToString();
    }

    // Which columns are in percent and which as stored, from the metrics' definitions: "Values in % (deviation raw)".
    private string Units()
    {
        var raw = Experiment.Metrics.Where(m => !m.IsPercent).Select(m => m.Label).ToList();
        return Experiment.Metrics.Any(m => m.IsPercent)
            ? "Values in %" + (raw.Count > 0 ? $" ({string.Join(", ", raw)} raw)" : "")
            : "Values as stored";
    }
}

/// <summary>A finished run of an experiment folder.</summary>
/// <param name="Label">Experiment, profile, data set, variant and seed.</param>
/// <param name="Dir">The run folder (its <see cref="RunLayout.MetricsJsonl"/> holds the per-epoch rows).</param>
/// <param name="Result">Its result.json.</param>
public sealed record FinishedRun(RunLabel Label, string Dir, TrainingResult Result);
