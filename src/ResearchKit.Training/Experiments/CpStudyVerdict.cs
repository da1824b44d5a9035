using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using ResearchKit.Metrics;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Experiments;

/// <summary>What a claim says of a paired difference.</summary>
public enum Expectation
{
    /// <summary>A gain: the 95 % interval must lie above 0 for the claim to hold.</summary>
    Positive,

    /// <summary>No loss (the paper's ≤): the claim fails only when the interval lies below 0.</summary>
    NotNegative,
}

/// <summary>The outcome of a test or a claim at the seeds that ran.</summary>
public enum Verdict
{
    /// <summary>Every test agrees with the claim at its 95 % interval.</summary>
    Holds,

    /// <summary>Some test's interval lies on the wrong side of 0.</summary>
    Fails,

    /// <summary>No test contradicts the claim, but a required gain's interval includes 0.</summary>
    Inconclusive,

    /// <summary>A row the claim needs has no finished run (fewer than two seeds).</summary>
    NotRun,
}

/// <summary>One comparison a claim makes, e.g. "CP K=3 − CP K=1 > 0".</summary>
/// <param name="What">The comparison in words, with the sign it expects.</param>
/// <param name="Expect">What the claim needs of it.</param>
/// <param name="Difference">The measured difference, paired by seed, in the metric's shown units (R@1 in %, deviation raw).</param>
public sealed record ClaimTest(string What, Expectation Expect, PairedDifference Difference)
{
    /// <summary>Holds, fails or inconclusive at the 95 % interval; not run below two pairs.</summary>
    public Verdict Outcome =>
        Difference.N < 2 ? Verdict.NotRun
        : Difference.Upper < 0 ? Verdict.Fails
        : Expect == Expectation.NotNegative || Difference.Lower > 0 ? Verdict.Holds
        : Verdict.Inconclusive;
}

/// <summary>One cell of the study: a claim, tested for one CP reading at one profile (regime).</summary>
/// <param name="Claim">i … v.</param>
/// <param name="Reading">The reading's name (<see cref="CpReading.Name"/>).</param>
/// <param name="Profile">The profile the runs used (<c>default</c>: from scratch; <c>pretrained-*</c>).</param>
/// <param name="Metric">The metric of the headline test.</param>
/// <param name="Cp">The CP row's headline metric, mean ± sd over seeds.</param>
/// <param name="Baseline">The baseline row's (PA, or the base loss or control the claim compares with).</param>
/// <param name="Tests">The comparisons, headline first.</param>
/// <param name="Note">Why the cell did not run, or what its baseline is when it is not plain PA.</param>
public sealed record ClaimVerdict(string Claim, string Reading, string Profile, MetricDefinition Metric, MeanSd Cp, MeanSd Baseline,
    IReadOnlyList<ClaimTest> Tests, string Note = "")
{
    /// <summary>Fails when any test fails; holds when all hold; not run when a test has no pairs; inconclusive otherwise.</summary>
    public Verdict Verdict =>
        Tests.Count == 0 || Tests.Any(t => t.Outcome == Verdict.NotRun) ? Verdict.NotRun
        : Tests.Any(t => t.Outcome == Verdict.Fails) ? Verdict.Fails
        : Tests.All(t => t.Outcome == Verdict.Holds) ? Verdict.Holds
        : Verdict.Inconclusive;

    /// <summary>The headline comparison (CP against what the claim compares it with).</summary>
    public ClaimTest? Headline => Tests.Count > 0 ? Tests[0] : null;
}

/// <summary>
/// Tests the paper's five qualitative claims (issue 13) for every CP reading of <see cref="CpStudy"/> on the runs of
/// <c>study-i</c> … <c>study-v</c> at a profile: each claim is a set of paired comparisons over seeds with 95 % Student-t
/// intervals, combined into holds / fails / inconclusive. Reads finished runs only, so it works while shards still run.
/// </summary>
public static class CpStudyVerdict
{
    private static readonly MetricDefinition R1 = RetrievalMetrics.RecallAt(1), P1 = RetrievalMetrics.PrecisionAt1, Deviation = RunMetrics.Deviation;

    /// <summary>The claims, in the paper's order: (numeral, what it says).</summary>
    public static IReadOnlyList<(string Claim, string Says)> Claims { get; } =
    [
        ("i", "Table I: PA <= PA + s^g <= PA + s^g + L_cal, L_cal bringing most of the gain"),
        ("ii", "Fig. 3: CP's proxy-center deviation drops after E_s, PA's does not, and CP's ends below PA's"),
        ("iii", "Table II: K = 3 beats K = 1, with and without CP"),
        ("iv", "Table IV: CP helps each base loss (PA, Proxy-NCA, SoftTriple)"),
        ("v", "Table V: CP's margin over PA does not shrink as label noise grows (and is positive at 50 %)"),
    ];

    /// <summary>Every claim × reading at <paramref name="profile"/>, from the study folders under <paramref name="outRoot"/> (missing folders give not-run cells).</summary>
    /// <param name="outRoot">The <c>--out</c> root the study ran into (holds <c>study-i-{profile}</c> …).</param>
    /// <param name="profile">The regime.</param>
    /// <exception cref="InvalidDataException">A result, label, plan or metrics file is unreadable; the message names it.</exception>
    public static IReadOnlyList<ClaimVerdict> Evaluate(string outRoot, ExperimentProfile profile)
    {
        ArgumentException.ThrowIfNullOrEmpty(outRoot);
        ArgumentNullException.ThrowIfNull(profile);
        var runs = CpStudy.Experiments.ToDictionary(e => e.Name, e => Rows.Load(outRoot, e, profile));
        var verdicts = new List<ClaimVerdict>();
        foreach (var r in CpStudy.Readings)
        {
            var study = new ReadingRuns(r, profile, runs);
            verdicts.AddRange(new[] { study.ClaimI(), study.ClaimII(), study.ClaimIII(), study.ClaimIV(), study.ClaimV() }.OfType<ClaimVerdict>());
        }
        return verdicts.OrderBy(v => Array.IndexOf(Numerals, v.Claim)).ThenBy(v => IndexOf(v.Reading)).ToList();
    }

    private static readonly string[] Numerals = ["i", "ii", "iii", "iv", "v"];

    private static int IndexOf(string reading) => CpStudy.Readings.Select((r, i) => (r, i)).First(x => x.r.Name == reading).i;

    /// <summary>
    /// One row per cell: claim, reading, profile, the headline metric for CP and its baseline (mean ± sd), the headline
    /// difference with its 95 % interval, the verdict, every test, and the note.
    /// </summary>
    public static DataFrame ToDataFrame(IEnumerable<ClaimVerdict> verdicts)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var v = verdicts.ToList();
        return new DataFrame(
            new StringDataFrameColumn("claim", v.Select(x => x.Claim)),
            new StringDataFrameColumn("reading", v.Select(x => x.Reading)),
            new StringDataFrameColumn("profile", v.Select(x => x.Profile)),
            new StringDataFrameColumn("metric", v.Select(x => x.Metric.Label)),
            new StringDataFrameColumn("cp", v.Select(x => x.Metric.FormatMeanSd(x.Cp.Mean, x.Cp.Sd))),
            new StringDataFrameColumn("baseline", v.Select(x => x.Metric.FormatMeanSd(x.Baseline.Mean, x.Baseline.Sd))),
            new StringDataFrameColumn("difference", v.Select(x => x.Headline?.Difference.ToString() ?? "")),
            new DoubleDataFrameColumn("difference_mean", v.Select(x => (double?)(x.Headline?.Difference.Mean ?? double.NaN))),
            new DoubleDataFrameColumn("difference_lower", v.Select(x => (double?)(x.Headline?.Difference.Lower ?? double.NaN))),
            new DoubleDataFrameColumn("difference_upper", v.Select(x => (double?)(x.Headline?.Difference.Upper ?? double.NaN))),
            new StringDataFrameColumn("verdict", v.Select(x => Word(x.Verdict))),
            new StringDataFrameColumn("tests", v.Select(x => string.Join("; ", x.Tests.Select(t => $"{t.What}: {t.Difference} {Word(t.Outcome)}")))),
            new StringDataFrameColumn("note", v.Select(x => x.Note)));
    }

    /// <summary>Writes <see cref="ToDataFrame"/> as CSV (invariant culture) to <paramref name="path"/>, atomically.</summary>
    public static void SaveCsv(IEnumerable<ClaimVerdict> verdicts, string path)
    {
        var frame = ToDataFrame(verdicts);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, s => DataFrame.SaveCsv(frame, s, encoding: new System.Text.UTF8Encoding(false), cultureInfo: CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The verdicts as text: a matrix reading × claim (one column per claim and profile) of holds / fails / inconclusive,
    /// then, claim by claim, each reading's headline numbers and every test.
    /// </summary>
    public static string Format(IReadOnlyList<ClaimVerdict> verdicts)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var sb = new StringBuilder();
        var profiles = verdicts.Select(v => v.Profile).Distinct().ToList();
        var columns = profiles.SelectMany(p => Numerals.Select(c => (p, c))).Where(pc => verdicts.Any(v => v.Profile == pc.p && v.Claim == pc.c)).ToList();
        int w = Math.Max(16, verdicts.Select(v => v.Reading.Length).DefaultIfEmpty(0).Max() + 2);
        sb.Append("reading".PadRight(w)).AppendJoin("", columns.Select(c => $"{c.c} {Short(c.p)}".PadRight(14))).AppendLine();
        foreach (var reading in CpStudy.Readings.Select(r => r.Name).Where(n => verdicts.Any(v => v.Reading == n)))
        {
            sb.Append(reading.PadRight(w));
            foreach (var (p, c) in columns)
                sb.Append((verdicts.FirstOrDefault(v => v.Reading == reading && v.Profile == p && v.Claim == c) is { } v ? Word(v.Verdict) : "n/a").PadRight(14));
            sb.AppendLine();
        }
        foreach (var (claim, says) in Claims)
        {
            var cells = verdicts.Where(v => v.Claim == claim).ToList();
            if (cells.Count == 0) continue;
            sb.AppendLine().AppendLine($"claim ({claim}) {says}");
            foreach (var v in cells)
            {
                sb.Append($"  {Short(v.Profile),-6} {v.Reading.PadRight(w)} {v.Metric.Label} CP {v.Metric.FormatMeanSd(v.Cp.Mean, v.Cp.Sd),-13} ")
                  .Append($"vs {v.Metric.FormatMeanSd(v.Baseline.Mean, v.Baseline.Sd),-13} {Word(v.Verdict)}").AppendLine(v.Note.Length > 0 ? $"  ({v.Note})" : "");
                foreach (var t in v.Tests) sb.AppendLine($"         {t.What}: {t.Difference} -> {Word(t.Outcome)}");
            }
        }
        return sb.ToString();
    }

    /// <summary>holds, fails, inconclusive or not run.</summary>
    public static string Word(Verdict v) => v switch
    {
        Verdict.Holds => "holds",
        Verdict.Fails => "fails",
        Verdict.Inconclusive => "inconclusive",
        _ => "not run",
    };

    private static string Short(string profile) => profile switch
    {
        "pretrained-frozen" => "frozen",
        "pretrained-layer4" => "layer4",
        "default" => "scratch",
        _ => profile,
    };

    // The finished runs of one study experiment at a profile, by variant and seed.
    private sealed class Rows(Experiment experiment, ExperimentProfile profile, Dictionary<string, Dictionary<int, FinishedRun>> byVariant)
    {
        public Experiment Experiment { get; } = experiment;
        public ExperimentProfile Profile { get; } = profile;

        public static Rows Load(string outRoot, Experiment e, ExperimentProfile profile)
        {
            var folder = ExperimentRunner.OutputFolder(outRoot, e, profile);
            var runs = Directory.Exists(folder) && (File.Exists(Path.Combine(folder, RunLayout.Plan)) || Directory.EnumerateFiles(folder, RunLayout.Label, SearchOption.AllDirectories).Any())
                ? ExperimentTable.FinishedRuns(e, profile, folder)
                : [];
            return new(e, profile, runs.GroupBy(r => r.Label.Variant).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Label.Seed)));
        }

        public bool Has(string variant) => byVariant.ContainsKey(variant);

        // Seed -> the final value of `metric` in shown units (R@1 in %).
        public Dictionary<int, double> Final(string variant, MetricDefinition metric) =>
            byVariant.TryGetValue(variant, out var seeds)
                ? seeds.Where(kv => kv.Value.Result.Value(metric) is not null).ToDictionary(kv => kv.Key, kv => metric.Shown(kv.Value.Result.Value(metric)!.Value))
                : new();

        // Seed -> the per-epoch series of `metric` (epoch -> shown value).
        public Dictionary<int, Dictionary<int, double>> Series(string variant, MetricDefinition metric) =>
            byVariant.TryGetValue(variant, out var seeds)
                ? seeds.ToDictionary(kv => kv.Key, kv => RunDirectory.ReadEpochs(kv.Value.Dir).Where(e => e.Value(metric) is not null)
                    .ToDictionary(e => e.Epoch, e => metric.Shown(e.Value(metric)!.Value)))
                : new();

        public int StartEpoch(string variant) => Experiment.Plan(Profile, 1).Single(r => r.Variant == variant).Config.Loss.Cp.StartEpoch;
    }

    // The five claims for one reading: its rows in each study experiment, and the baselines they compare with.
    private sealed class ReadingRuns(CpReading reading, ExperimentProfile profile, Dictionary<string, Rows> runs)
    {
        private string Name => reading.Name;

        // The row a reading uses: its own, or (a reading that does not change this row's kind) the primary reading's.
        private string Cp(string row, bool own = true) => own ? $"{Name} | {row}" : $"primary | {row}";

        // The no-CP baseline a reading compares with: its control when it changes the base loss, else the plain row.
        private string Base(string row) => reading.ChangesBase ? $"{Name} | {row}" : row;

        private string BaseNote => reading.ChangesBase ? "baseline: PA with the reading's α, δ and no CP (its control)" : "";

        // Seed -> a − b, for the seeds both ran (a gain or margin; PairedDifference.Of pairs the same way).
        private static Dictionary<int, double> Gain(Dictionary<int, double> a, Dictionary<int, double> b) =>
            a.Keys.Where(b.ContainsKey).ToDictionary(s => s, s => a[s] - b[s]);

        private ClaimVerdict Cell(string claim, MetricDefinition metric, Dictionary<int, double> cp, Dictionary<int, double> baseline, params ClaimTest[] tests) =>
            new(claim, Name, profile.Name, metric, MeanSd.Of(cp.Values), MeanSd.Of(baseline.Values), tests, BaseNote);

        public ClaimVerdict? ClaimI()
        {
            if (reading.MultiProxyOnly) return null;
            var rows = runs["study-i"];
            var pa = rows.Final(Base("PA"), R1);
            var full = rows.Final(Cp("s^g + L_cal"), R1);
            var sg = rows.Final(Cp("s^g", own: !reading.LambdaOnly), R1);   // λ readings share the primary's λ = 0 row
            var lcalGain = Gain(full, sg);
            var sgGain = Gain(sg, pa);
            return Cell("i", R1, full, pa,
                new("PA + s^g + L_cal − PA > 0", Expectation.Positive, PairedDifference.Of(full, pa)),
                new("PA + s^g − PA ≥ 0", Expectation.NotNegative, PairedDifference.Of(sg, pa)),
                new("PA + s^g + L_cal − (PA + s^g) ≥ 0", Expectation.NotNegative, PairedDifference.Of(full, sg)),
                new("L_cal's gain − s^g's gain ≥ 0 (L_cal brings most)", Expectation.NotNegative, PairedDifference.Of(lcalGain, sgGain)));
        }

        public ClaimVerdict? ClaimII()
        {
            if (reading.MultiProxyOnly) return null;
            var rows = runs["study-ii"];
            string cpRow = Cp("CP"), paRow = Base("PA");
            if (!rows.Has(cpRow)) return Cell("ii", Deviation, new(), new(), new ClaimTest("PA's deviation − CP's at the last epoch > 0", Expectation.Positive, new([])));
            int start = rows.StartEpoch(cpRow);
            // The deviation measured after the first epoch trained with CP (epoch E_s, 0-based) minus the last epoch's:
            // positive when it falls after E_s. PA's over the same epochs is the comparison.
            Dictionary<int, double> Drop(Dictionary<int, Dictionary<int, double>> series) =>
                series.Where(kv => kv.Value.ContainsKey(start) && kv.Value.Count > 0 && kv.Value.Keys.Max() > start)
                    .ToDictionary(kv => kv.Key, kv => kv.Value[start] - kv.Value[kv.Value.Keys.Max()]);
            var cpDrop = Drop(rows.Series(cpRow, Deviation));
            var paDrop = Drop(rows.Series(paRow, Deviation));
            var cpLast = rows.Final(cpRow, Deviation);
            var paLast = rows.Final(paRow, Deviation);
            // The figure's point is CP's proxies ending nearer their class centres than PA's; a fall after a jump at E_s
            // that leaves them farther away does not show it, so the final gap is the headline.
            return Cell("ii", Deviation, cpLast, paLast,
                new("PA's deviation − CP's at the last epoch > 0 (CP ends nearer the centres)", Expectation.Positive, PairedDifference.Of(paLast, cpLast)),
                new($"CP's deviation at epoch {start} (E_s) − at the last > 0 (it falls)", Expectation.Positive, PairedDifference.OfValues(cpDrop)),
                new("CP's fall − PA's fall over the same epochs > 0", Expectation.Positive, PairedDifference.Of(cpDrop, paDrop)));
        }

        public ClaimVerdict? ClaimIII()
        {
            var rows = runs["study-iii"];
            var pa1 = rows.Final(Base("PA K=1"), R1);
            var pa3 = rows.Final(Base("PA K=3"), R1);
            var cp1 = rows.Final(Cp("CP K=1", own: !reading.MultiProxyOnly), R1);   // T and the multi-proxy rule change nothing at K = 1
            var cp3 = rows.Final(Cp("CP K=3"), R1);
            return Cell("iii", R1, cp3, cp1,
                new("CP K=3 − CP K=1 > 0", Expectation.Positive, PairedDifference.Of(cp3, cp1)),
                new("PA K=3 − PA K=1 > 0", Expectation.Positive, PairedDifference.Of(pa3, pa1)));
        }

        public ClaimVerdict? ClaimIV()
        {
            if (reading.MultiProxyOnly) return null;
            var rows = runs["study-iv"];
            var study1 = runs["study-i"];
            var pa = study1.Final(Base("PA"), R1);
            var cpPa = study1.Final(Cp("s^g + L_cal"), R1);
            var nca = rows.Final("Proxy-NCA", R1);
            var st = rows.Final("SoftTriple", R1);
            var cpNca = rows.Final(Cp("CP+Proxy-NCA"), R1);
            var cpSt = rows.Final(Cp("CP+SoftTriple"), R1);
            var (gainPa, gainNca, gainSt) = (Gain(cpPa, pa), Gain(cpNca, nca), Gain(cpSt, st));
            // The headline is the mean gain over the three base losses, seed by seed.
            var mean = gainPa.Keys.Where(s => gainNca.ContainsKey(s) && gainSt.ContainsKey(s))
                .ToDictionary(s => s, s => (gainPa[s] + gainNca[s] + gainSt[s]) / 3);
            return Cell("iv", R1, cpNca, nca,
                new("mean over the three base losses of CP + loss − loss > 0", Expectation.Positive, PairedDifference.OfValues(mean)),
                new("CP + PA − PA > 0", Expectation.Positive, PairedDifference.OfValues(gainPa)),
                new("CP + Proxy-NCA − Proxy-NCA > 0", Expectation.Positive, PairedDifference.OfValues(gainNca)),
                new("CP + SoftTriple − SoftTriple > 0", Expectation.Positive, PairedDifference.OfValues(gainSt)));
        }

        public ClaimVerdict? ClaimV()
        {
            if (reading.MultiProxyOnly) return null;
            var rows = runs["study-v"];
            var study1 = runs["study-i"];
            var m0 = Gain(study1.Final(Cp("s^g + L_cal"), P1), study1.Final(Base("PA"), P1));
            var cp50 = rows.Final(Cp("CP noise=50%"), P1);
            var pa50 = rows.Final(Base("PA noise=50%"), P1);
            var m20 = Gain(rows.Final(Cp("CP noise=20%"), P1), rows.Final(Base("PA noise=20%"), P1));
            var m50 = Gain(cp50, pa50);
            return Cell("v", P1, cp50, pa50,
                new("CP − PA at 50 % noise > 0", Expectation.Positive, PairedDifference.OfValues(m50)),
                new("margin at 20 % − margin at 0 % ≥ 0", Expectation.NotNegative, PairedDifference.Of(m20, m0)),
                new("margin at 50 % − margin at 20 % ≥ 0", Expectation.NotNegative, PairedDifference.Of(m50, m20)));
        }
    }
}
