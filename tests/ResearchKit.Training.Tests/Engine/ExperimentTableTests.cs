using System.Text.Json;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Metrics;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Engine;

public class ExperimentTableTests
{
    private const string R1 = "recall_at_1";

    // A finished run as ExperimentRunner leaves it: the label and the result (no training needed to build a table).
    private static void WriteRun(string folder, Experiment experiment, ExperimentProfile profile, string dataset, string variant, int seed, double r1)
    {
        var dir = Path.Combine(folder, new PlannedRun(experiment.Name, dataset, variant, seed, profile.Base).RelativePath);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RunLayout.Label),
            JsonSerializer.Serialize(new RunLabel(experiment.Name, profile.Name, dataset, variant, seed), TrainingConfigJson.Options));
        var metrics = experiment.Metrics.ToDictionary(m => m.Key, m => m.Key == R1 ? r1 : 0.25);
        File.WriteAllText(Path.Combine(dir, "result.json"),
            JsonSerializer.Serialize(new TrainingResult(dir, true, 8, 100, metrics, TrainingTimings.Zero), TrainingConfigJson.Options));
    }

    // Table I at the smoke profile with finished runs (variant, seed, R@1) written under dir; returns the experiment folder.
    private static string Table1Smoke(TempDir dir, params (string Variant, int Seed, double R1)[] runs)
    {
        var table1 = ExperimentRegistry.Get("table1");
        var folder = ExperimentRunner.OutputFolder(dir.Path, table1, Profiles.Smoke);
        foreach (var (variant, seed, r1) in runs) WriteRun(folder, table1, Profiles.Smoke, "glyphs-tiny", variant, seed, r1);
        return folder;
    }

    private static string RunFolder(string folder, string variant, int seed) =>
        Path.Combine(folder, new PlannedRun("table1", "glyphs-tiny", variant, seed, Profiles.Smoke.Base).RelativePath);

    [Fact]
    public void ToDataFrame_shows_mean_and_sd_over_seeds_per_metric_in_percent()
    {
        using var dir = new TempDir();
        var folder = Table1Smoke(dir, ("PA (s^p only)", 1, 0.50), ("PA (s^p only)", 2, 0.60), ("PA + s^g", 1, 0.40));

        var df = ExperimentTable.Build(folder).ToDataFrame();

        Assert.Equal(new[] { "dataset", "variant", "seeds", "R@1 (%)", "R@2 (%)", "R@4 (%)", "MAP@R (%)" }, df.Columns.Select(c => c.Name));
        Assert.Equal(new[] { "PA (s^p only)", "PA + s^g" }, df["variant"].Cast<string>());
        Assert.Equal(new int?[] { 2, 1 }, df["seeds"].Cast<int?>());
        Assert.Equal("55.0 ± 7.1", df["R@1 (%)"][0]);   // sample sd of 50 and 60
        Assert.Equal("40.0", df["R@1 (%)"][1]);         // one seed: no spread
        Assert.Equal("25.0", df["MAP@R (%)"][1]);
    }

    [Fact]
    public void ToDataFrame_puts_the_papers_number_beside_ours_on_the_paper_profile()
    {
        var table1 = ExperimentRegistry.Get("table1");
        using var dir = new TempDir();
        var folder = ExperimentRunner.OutputFolder(dir.Path, table1, Profiles.Paper);
        WriteRun(folder, table1, Profiles.Paper, "cub", "PA + s^g + L_cal", 1, 0.70);

        var df = ExperimentTable.Build(folder).ToDataFrame();

        Assert.Equal(new[] { "R@1 (%)", "paper R@1" }, df.Columns.Select(c => c.Name).Skip(3).Take(2));
        Assert.Equal("70.0", df["R@1 (%)"][0]);
        Assert.Equal(table1.Paper.Get("cub", table1.Variant("PA + s^g + L_cal"), RetrievalMetrics.RecallAt(1)), (double?)df["paper R@1"][0]);
    }

    [Fact]
    public void TrainingResult_ToDataFrame_lists_final_metrics_then_run_facts()
    {
        var result = new TrainingResult("run", false, 3, 120, new Dictionary<string, double> { [R1] = 0.5, ["mean_average_precision_at_r"] = 0.2 },
            new TrainingTimings(1, 2, 3, 4, 0, 0, 600));

        var df = result.ToDataFrame();

        Assert.Equal(new[] { "mean_average_precision_at_r", R1, "epochs completed (stopped early)", "steps", "time (s)", "train images/s" },
            df["quantity"].Cast<string>());
        Assert.Equal(new double?[] { 0.2, 0.5, 3, 120, 10, 100 }, df["value"].Cast<double?>());
    }

    [Fact]
    public void A_pinned_data_set_replaces_the_profiles_and_the_papers_data_sets()
    {
        var smoke = Profiles.Smoke.WithDataset("fashion-mnist");
        var plan = ExperimentRegistry.Get("table1").Plan(smoke, 1);
        Assert.All(plan, p => Assert.Equal(("fashion-mnist", "fashion-mnist"), (p.Dataset, p.Config.Dataset)));
        Assert.Equal(Profiles.Smoke.Base.Epochs, plan[0].Config.Epochs);   // the recipe is unchanged

        // Table IV lists CUB, Cars and SOP on the paper profile; pinned, it runs on the one data set.
        Assert.Equal(3 * 2 * ExperimentRegistry.Table4Losses.Count, ExperimentRegistry.Get("table4").Plan(Profiles.Paper, 1).Count);   // CUB, Cars, SOP × 2 rows per loss
        Assert.All(ExperimentRegistry.Get("table4").Plan(Profiles.Paper.WithDataset("cars"), 1), p => Assert.Equal("cars", p.Dataset));
        Assert.Throws<ArgumentException>(() => Profiles.Smoke.WithDataset(" "));
    }

    [Fact]
    public void Fig4_paper_optima_name_points_of_its_sweeps()
    {
        var fig4 = ExperimentRegistry.Get("fig4");
        var variants = fig4.Variants.Select(v => v.Name).ToHashSet();
        Assert.Equal(new[] { "M", "start" }, fig4.PaperOptima!.Select(o => o.Sweep));
        foreach (var optimum in fig4.PaperOptima!)
            Assert.All(optimum.BestValues, v => Assert.Contains(optimum.Variant(v), variants));
        Assert.Equal(new[] { "M=30", "M=35", "start=12/60" }, fig4.PaperOptima!.SelectMany(o => o.BestValues.Select(o.Variant)));
    }

    private static void WritePlan(string folder, Experiment experiment, ExperimentProfile profile)
    {
        var plan = experiment.Plan(profile, 1);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, RunLayout.Plan), JsonSerializer.Serialize(new ExperimentPlan(experiment.Name, profile.Name, 1,
            plan.Select(p => new PlannedRunEntry(p.Dataset, p.Variant, p.Seed, p.RelativePath)).ToList()), TrainingConfigJson.Options));
    }

    [Fact]
    public void With_a_plan_a_finished_run_without_its_label_counts_and_unfinished_runs_are_listed_missing()
    {
        using var dir = new TempDir();
        var folder = Table1Smoke(dir, ("PA (s^p only)", 1, 0.50), ("PA + s^g", 1, 0.40));
        WritePlan(folder, ExperimentRegistry.Get("table1"), Profiles.Smoke);
        // Killed between result.json and experiment.json: the plan still says what the run is.
        File.Delete(Path.Combine(RunFolder(folder, "PA + s^g", 1), RunLayout.Label));

        var table = ExperimentTable.Build(folder);

        Assert.Equal(new[] { "PA (s^p only)", "PA + s^g" }, table.Frame["variant"].Cast<string>());
        var missing = Assert.Single(table.Missing);
        Assert.StartsWith("glyphs-tiny / PA + s^g + L_cal / seed 1", missing);
        Assert.Contains("missing from the table: 1 run(s)", table.Format());
    }

    [Fact]
    public void Without_a_plan_a_finished_run_without_its_label_is_reported_not_dropped()
    {
        using var dir = new TempDir();
        var folder = Table1Smoke(dir, ("PA (s^p only)", 1, 0.50), ("PA + s^g", 1, 0.40));
        var unlabelled = RunFolder(folder, "PA + s^g", 1);
        File.Delete(Path.Combine(unlabelled, RunLayout.Label));

        var table = ExperimentTable.Build(folder);

        Assert.Equal(new[] { "PA (s^p only)" }, table.Frame["variant"].Cast<string>());
        Assert.Contains(unlabelled, Assert.Single(table.Missing));
    }

    [Fact]
    public void A_half_written_result_is_named()
    {
        using var dir = new TempDir();
        var folder = Table1Smoke(dir, ("PA (s^p only)", 1, 0.50));
        var result = Path.Combine(RunFolder(folder, "PA (s^p only)", 1), "result.json");
        File.WriteAllText(result, File.ReadAllText(result)[..40]);

        var ex = Assert.Throws<InvalidDataException>(() => ExperimentTable.Build(folder));
        Assert.StartsWith(result + ": not a valid TrainingResult", ex.Message);
    }

    [Fact]
    public void A_table_built_from_a_filtered_experiment_and_cut_profile_keeps_them()
    {
        using var dir = new TempDir();
        var folder = Table1Smoke(dir, ("PA (s^p only)", 1, 0.50), ("PA + s^g", 1, 0.40));
        WritePlan(folder, ExperimentRegistry.Get("table1"), Profiles.Smoke);   // the full plan: L_cal is planned, not run
        var full = ExperimentRegistry.Get("table1");
        var filtered = full with { Variants = full.Variants.Where(v => v.Name != "PA + s^g + L_cal").ToList() };
        var cut = Profiles.Smoke with { Base = Profiles.Smoke.Base with { Epochs = 2 } };

        var table = ExperimentTable.Build(filtered, cut, folder);

        Assert.Same(filtered, table.Experiment);
        Assert.Same(cut, table.Profile);
        Assert.Equal(2, table.Profile.Base.Epochs);
        Assert.Equal(new[] { "PA (s^p only)", "PA + s^g" }, table.Frame["variant"].Cast<string>());
        Assert.Empty(table.Missing);   // the unfinished row is not one of this table's
        // The registry's table of the same folder still lists it.
        Assert.StartsWith("glyphs-tiny / PA + s^g + L_cal / seed 1", Assert.Single(ExperimentTable.Build(folder).Missing));
    }

    [Fact]
    public void A_table_of_another_experiment_than_the_folders_is_refused()
    {
        using var dir = new TempDir();
        var folder = Table1Smoke(dir, ("PA (s^p only)", 1, 0.50));
        var e = Assert.Throws<ArgumentException>(() => ExperimentTable.Build(ExperimentRegistry.Get("table2"), Profiles.Smoke, folder));
        Assert.Contains("holds runs of table1/smoke, not of table2/smoke", e.Message);
    }

    [Fact]
    public void Paper_numbers_belong_to_the_variant_object_not_its_name()
    {
        var table1 = ExperimentRegistry.Get("table1");
        var cal = table1.Variant("PA + s^g + L_cal");
        var sameName = new ExperimentVariant(cal.Name, cal.Apply);
        Assert.Equal(69.2, table1.Paper.Get("cub", cal, RetrievalMetrics.RecallAt(1)));
        Assert.Null(table1.Paper.Get("cub", sameName, RetrievalMetrics.RecallAt(1)));
        Assert.Null(table1.Paper.Get("cub", cal, RetrievalMetrics.MapAtR));   // Table I reports no MAP@R
        Assert.Contains("has no variant 'PA + L_cal'", Assert.Throws<ArgumentException>(() => table1.Variant("PA + L_cal")).Message);
    }

    [Fact]
    public void Format_labels_and_scales_columns_by_their_definitions()
    {
        using var dir = new TempDir();
        var fig3 = ExperimentRegistry.Get("fig3");
        var folder = ExperimentRunner.OutputFolder(dir.Path, fig3, Profiles.Smoke);
        WriteRun(folder, fig3, Profiles.Smoke, "glyphs-tiny", "PA", 1, r1: 0);   // every metric 0.25, R@1 0

        var text = ExperimentTable.Build(folder).Format();

        Assert.Contains("deviation  deviation (pairwise)  R@1  MAP@R", text);
        Assert.Contains("0.2500     0.2500                0.0  25.0", text);   // deviation raw, four decimals; MAP@R 0.25 in %
        Assert.EndsWith("Values in % (deviation, deviation (pairwise) raw), mean ± sd over seeds.", text);
    }
}
