using System.Text.Json;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Engine;

public class CpStudyVerdictTests
{
    [Fact]
    public void Paired_difference_is_the_mean_with_a_Student_t_interval_over_common_seeds()
    {
        var a = new Dictionary<int, double> { [1] = 11, [2] = 12, [3] = 13, [4] = 99 };   // seed 4 has no partner
        var b = new Dictionary<int, double> { [1] = 10, [2] = 10, [3] = 10 };
        var d = PairedDifference.Of(a, b);
        Assert.Equal(new double[] { 1, 2, 3 }, d.Differences);
        Assert.Equal(2, d.Mean, 12);
        // sd 1, n 3, t_{0.975,2} = 4.303 (scipy.stats.t.ppf(0.975, 2) = 4.3027)
        Assert.Equal(4.303 / Math.Sqrt(3), d.HalfWidth, 12);
        Assert.Equal("+2.00 [-0.48, +4.48]", d.ToString());
        Assert.Equal(12.706, PairedDifference.StudentT975(1));
        Assert.Equal(2.042, PairedDifference.StudentT975(30));
        Assert.Equal(1.960, PairedDifference.StudentT975(200));
        Assert.True(double.IsNaN(new PairedDifference([0.5]).HalfWidth));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedDifference.StudentT975(0));
    }

    [Theory]
    [InlineData(Expectation.Positive, new double[] { 1.0, 1.1, 0.9 }, Verdict.Holds)]
    [InlineData(Expectation.Positive, new double[] { 1.0, -1.0, 0.5 }, Verdict.Inconclusive)]
    [InlineData(Expectation.Positive, new double[] { -1.0, -1.1, -0.9 }, Verdict.Fails)]
    [InlineData(Expectation.NotNegative, new double[] { 1.0, -1.0, 0.5 }, Verdict.Holds)]
    [InlineData(Expectation.NotNegative, new double[] { -1.0, -1.1, -0.9 }, Verdict.Fails)]
    [InlineData(Expectation.Positive, new double[] { 5.0 }, Verdict.NotRun)]
    public void A_test_holds_fails_or_is_inconclusive_by_where_its_interval_lies(Expectation expect, double[] differences, Verdict outcome) =>
        Assert.Equal(outcome, new ClaimTest("x", expect, new PairedDifference(differences)).Outcome);

    // R@1 per seed for the study-i rows the tests write; PA is 0.80 + small seed noise.
    private static readonly double[] Noise = [0.000, 0.003, -0.002];

    [Fact]
    public void Claims_are_judged_per_reading_against_the_right_baseline()
    {
        using var dir = new TempDir();
        var profile = Profiles.Smoke;
        var study1 = CpStudy.TableI();
        var folder = ExperimentRunner.OutputFolder(dir.Path, study1, profile);
        // Each row's seed noise scaled differently, so paired differences have a spread.
        void Rows(string variant, double r1, double noise)
        {
            for (int seed = 1; seed <= 3; seed++) WriteRun(folder, study1, profile, variant, seed, r1 + Noise[seed - 1] * noise);
        }
        Rows("PA", 0.80, 1);
        Rows("primary | s^g", 0.802, 1.3);                // a small gain from s^g
        Rows("primary | s^g + L_cal", 0.83, 0.7);         // most of it from L_cal
        Rows("sg=own_class | s^g", 0.78, 1.5);
        Rows("sg=own_class | s^g + L_cal", 0.78, 0.5);    // below PA
        Rows("pa_rescaled | PA", 0.86, 1.2);              // the control is far above plain PA ...
        Rows("pa_rescaled | s^g", 0.84, 0.8);
        Rows("pa_rescaled | s^g + L_cal", 0.845, 1.4);    // ... so CP, above plain PA, is below its control

        var verdicts = CpStudyVerdict.Evaluate(dir.Path, profile).Where(v => v.Claim == "i").ToDictionary(v => v.Reading);

        Assert.Equal(Verdict.Holds, verdicts["primary"].Verdict);
        Assert.Equal(3.0, verdicts["primary"].Headline!.Difference.Mean, 1);           // percent points
        Assert.Equal(Verdict.Fails, verdicts["sg=own_class"].Verdict);
        Assert.Equal(Verdict.Fails, verdicts["pa_rescaled"].Verdict);
        Assert.Equal(86.0, verdicts["pa_rescaled"].Baseline.Mean!.Value, 0);           // judged against its control, not plain PA
        Assert.Contains("control", verdicts["pa_rescaled"].Note);
        Assert.Equal(Verdict.NotRun, verdicts["beta=0.1"].Verdict);                   // its rows did not run
        Assert.DoesNotContain("T=0.1", verdicts.Keys);                                // a K > 1 reading has no claim (i)

        // Claims whose folders are absent are not run, never guessed.
        Assert.All(CpStudyVerdict.Evaluate(dir.Path, profile).Where(v => v.Claim is "iii" or "iv" or "v"), v => Assert.Equal(Verdict.NotRun, v.Verdict));
        var frame = CpStudyVerdict.ToDataFrame(verdicts.Values);
        Assert.Equal(verdicts.Count, frame.Rows.Count);
        Assert.Contains("holds", CpStudyVerdict.Format(verdicts.Values.ToList()));
        // The CSV keeps the text's ±, − and ≥ (DataFrame.SaveCsv's default encoding wrote them as '?').
        var csv = Path.Combine(dir.Path, "study-verdict.csv");
        CpStudyVerdict.SaveCsv(verdicts.Values, csv);
        var text = File.ReadAllText(csv, System.Text.Encoding.UTF8);
        Assert.Contains("±", text);
        Assert.Contains("PA + s^g + L_cal − PA > 0", text);
        Assert.DoesNotContain("?", text);
    }

    [Fact]
    public void Claim_ii_needs_CP_to_end_nearer_the_centres_not_only_to_fall_after_a_jump()
    {
        using var dir = new TempDir();
        var profile = Profiles.Smoke;
        var study2 = CpStudy.Fig3();
        var folder = ExperimentRunner.OutputFolder(dir.Path, study2, profile);
        int start = study2.Plan(profile, 1).Single(r => r.Variant == "primary | CP").Config.Loss.Cp.StartEpoch;
        int epochs = profile.Base.Epochs;
        for (int seed = 1; seed <= 3; seed++)
        {
            double n = Noise[seed - 1];
            // PA flat at 1.2; primary CP jumps to 1.9 at E_s and falls to 1.7 (falls, but ends above PA); centred CP falls to 1.0.
            WriteRun(folder, study2, profile, "PA", seed, 0.8, Enumerable.Range(0, epochs).Select(e => 1.2 + n).ToArray());
            WriteRun(folder, study2, profile, "primary | CP", seed, 0.8,
                Enumerable.Range(0, epochs).Select(e => (e < start ? 1.2 : 1.9 - 0.2 * (e - start) / (epochs - 1 - start)) + n * 1.5).ToArray());
            WriteRun(folder, study2, profile, "sg=centered | CP", seed, 0.8,
                Enumerable.Range(0, epochs).Select(e => (e < start ? 1.2 : 1.2 - 0.2 * (e - start) / (epochs - 1 - start)) + n * 1.5).ToArray());
        }

        var verdicts = CpStudyVerdict.Evaluate(dir.Path, profile).Where(v => v.Claim == "ii").ToDictionary(v => v.Reading);

        var primary = verdicts["primary"];
        Assert.Equal(Verdict.Fails, primary.Verdict);
        Assert.Equal(Verdict.Fails, primary.Tests[0].Outcome);     // ends farther from the centres than PA
        Assert.Equal(Verdict.Holds, primary.Tests[1].Outcome);     // although it falls after E_s
        Assert.Equal(0.2, primary.Tests[1].Difference.Mean, 2);
        Assert.Equal(Verdict.Holds, verdicts["sg=centered"].Verdict);
    }

    // A finished run as ExperimentRunner leaves it: label, result and (when given) a deviation per epoch in metrics.jsonl.
    private static void WriteRun(string folder, Experiment experiment, ExperimentProfile profile, string variant, int seed, double r1, double[]? deviation = null)
    {
        var dataset = experiment.Datasets(profile).Single();
        var dir = Path.Combine(folder, new PlannedRun(experiment.Name, dataset, variant, seed, profile.Base).RelativePath);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RunLayout.Label),
            JsonSerializer.Serialize(new RunLabel(experiment.Name, profile.Name, dataset, variant, seed), TrainingConfigJson.Options));
        var metrics = new Dictionary<string, double> { [RetrievalMetrics.RecallAt(1).Key] = r1, [RetrievalMetrics.PrecisionAt1.Key] = r1 };
        if (deviation is not null)
        {
            metrics[RunMetrics.Deviation.Key] = deviation[^1];
            File.WriteAllLines(Path.Combine(dir, RunLayout.MetricsJsonl),
                deviation.Select((d, e) => JsonSerializer.Serialize(new Dictionary<string, double> { ["epoch"] = e, ["step"] = 10 * (e + 1), [RunMetrics.Deviation.Key] = d })));
        }
        File.WriteAllText(Path.Combine(dir, RunLayout.Result),
            JsonSerializer.Serialize(new TrainingResult(dir, true, profile.Base.Epochs, 100, metrics, TrainingTimings.Zero), TrainingConfigJson.Options));
    }
}
