using ResearchKit.Losses;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Metrics;

namespace ResearchKit.Training.Tests.Engine;

public class ExperimentRegistryTests(GlyphsTinyFixture fixture) : IClassFixture<GlyphsTinyFixture>
{
    [Fact]
    public void Every_experiment_runs_at_a_short_smoke_profile_and_tabulates_one_row_per_variant()
    {
        // The smoke profile cut to one epoch so the paper's 48 variants, and the study's Fig. 3 claim (13, per epoch), run
        // in the test's time; the other study claims are checked by their plans (below), their runs are the same machinery.
        var profile = Profiles.Smoke with { Base = Profiles.Smoke.Base with { Epochs = 1, EvalEveryEpochs = 1 } };
        using var dir = new TempDir();
        foreach (var experiment in ExperimentRegistry.All.Where(e => !CpStudy.Experiments.Contains(e) || e.Name == "study-ii"))
        {
            var table = ExperimentRunner.Run(experiment, profile, dir.Path, seeds: 1, options: new TrainerOptions { Dataset = fixture.Dataset });
            Assert.Equal(experiment.Variants.Select(v => v.Name), table.Frame["variant"].Cast<string>());
            Assert.All(table.Frame["dataset"].Cast<string>(), d => Assert.Equal("glyphs-tiny", d));
            foreach (var m in experiment.Metrics)
                Assert.All(table.Frame[ExperimentTable.MeanColumn(m)].Cast<double?>(), v => Assert.True(v is >= 0 and <= 100, $"{experiment.Name} {m} = {v}"));
            Assert.True(File.Exists(table.CsvPath));
            if (experiment.PerEpoch) Assert.Equal(experiment.Variants.Count, table.PerEpoch!.Rows.Count);
        }
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(1, 4, 3)]
    [InlineData(2, 3, 1)]
    public void A_shard_split_into_worker_shards_owns_exactly_its_runs_once(int index, int count, int parts)
    {
        var shard = new Shard(index, count);
        var split = shard.Split(parts);
        Assert.Equal(parts, split.Count);
        for (int run = 0; run < 100; run++)
            Assert.Equal(shard.Owns(run) ? 1 : 0, split.Count(s => s.Owns(run)));
        Assert.All(split, s => Assert.Equal(count * parts, s.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => shard.Split(0));
    }

    [Fact]
    public void Shards_partition_the_plan_and_report_merges_them()
    {
        var profile = Profiles.Smoke with { Base = Profiles.Smoke.Base with { Epochs = 1, EvalEveryEpochs = 1 } };
        var table1 = ExperimentRegistry.Get("table1");
        using var dir = new TempDir();
        var opts = new TrainerOptions { Dataset = fixture.Dataset };
        var first = ExperimentRunner.Run(table1, profile, dir.Path, seeds: 2, shard: Shard.Parse("0/2"), options: opts);
        Assert.Equal(new[] { 1, 1, 1 }, first.Frame["seeds"].Cast<int?>().Select(s => s!.Value));   // runs 0, 2, 4 of 6
        ExperimentRunner.Run(table1, profile, dir.Path, seeds: 2, shard: Shard.Parse("1/2"), options: opts);
        var merged = ExperimentTable.Build(ExperimentRunner.OutputFolder(dir.Path, table1, profile));
        Assert.Equal(new[] { 2, 2, 2 }, merged.Frame["seeds"].Cast<int?>().Select(s => s!.Value));
        Assert.Throws<ArgumentException>(() => Shard.Parse("2/2"));
        Assert.Throws<ArgumentException>(() => ExperimentRegistry.Get("table9"));
    }

    [Fact]
    public void Paper_profile_plans_the_papers_grid_with_its_numbers()
    {
        var plan = ExperimentRegistry.Get("table4").Plan(Profiles.Paper, 1);
        Assert.Equal(3 * 2 * ExperimentRegistry.Table4Losses.Count, plan.Count);   // CUB, Cars, SOP × (the loss, CP + the loss)
        Assert.Equal(64, plan.Single(p => p.Dataset == "cub" && p.Variant == "Proxy-NCA").Config.EmbeddingSize);
        var table1 = ExperimentRegistry.Get("table1");
        Assert.Equal(69.2, table1.Paper.Get("cub", table1.Variant("PA + s^g + L_cal"), RetrievalMetrics.RecallAt(1)));
        var t1 = ExperimentRegistry.Get("table1").Plan(Profiles.Paper, 1).Where(p => p.Dataset == "cub").ToList();
        Assert.Equal(new[] { false, true, true }, t1.Select(p => p.Config.Loss.CalibrateProxy));
        Assert.Equal(new[] { 1.0, 0.0, 1.0 }, t1.Select(p => p.Config.Loss.Cp.Lambda));
    }

    [Fact]
    public void Table4_has_a_plain_and_a_cp_row_for_every_registered_loss_without_confidences_the_papers_first()
    {
        var expected = LossRegistry.Default.Entries.Where(e => !e.NeedsConfidences).ToList();
        Assert.Equal(expected.OrderBy(e => e.Name), ExperimentRegistry.Table4Losses.OrderBy(e => e.Name));
        Assert.Equal(["proxyNca", "softTriple", "proxyAnchor"], ExperimentRegistry.Table4Losses.Take(3).Select(e => e.Name));
        var table4 = ExperimentRegistry.Get("table4");
        Assert.Equal(ExperimentRegistry.Table4Losses.SelectMany(e => new[] { e.DisplayName, e.CalibrateProxyName }), table4.Variants.Select(v => v.Name));
        var rows = table4.Plan(Profiles.Smoke, 1).ToDictionary(r => r.Variant, r => r.Config.Loss);
        foreach (var entry in ExperimentRegistry.Table4Losses)
        {
            Assert.Equal((entry, false), (rows[entry.DisplayName].Entry, rows[entry.DisplayName].CalibrateProxy));
            Assert.Equal((entry, true), (rows[entry.CalibrateProxyName].Entry, rows[entry.CalibrateProxyName].CalibrateProxy));
        }
        // The paper's numbers sit on the rows of the losses it reports (found by the registry's display names).
        Assert.Equal(69.8, table4.Paper.Get("cub", table4.Variant("CP+PA"), RetrievalMetrics.RecallAt(1)));
        Assert.Equal(49.2, table4.Paper.Get("cub", table4.Variant("Proxy-NCA"), RetrievalMetrics.RecallAt(1)));
        Assert.Null(table4.Paper.Get("cub", table4.Variant("CP+CosFace"), RetrievalMetrics.RecallAt(1)));
    }

    [Theory]
    [InlineData("paper")]
    [InlineData("default")]
    [InlineData("smoke")]
    public void Cp_rows_take_the_papers_cp_settings_and_fig3_switches_cp_on_at_the_scaled_start_epoch(string name)
    {
        var p = Profiles.Get(name);
        Assert.Equal(100, p.Base.ProxyLrMultiplier);
        var t4 = ExperimentRegistry.Get("table4").Plan(p, 1).Where(r => r.Dataset == p.Datasets[0]).ToDictionary(r => r.Variant, r => r.Config.Loss);
        Assert.Equal((true, 3, 30, 1.0), (t4["CP+PA"].CalibrateProxy, t4["CP+PA"].Cp.ProxiesPerClass, t4["CP+PA"].Cp.QueuePerClass, t4["CP+PA"].Cp.Lambda));
        Assert.Equal((false, 1), (t4["Proxy Anchor"].CalibrateProxy, t4["Proxy Anchor"].ProxiesPerClass));
        var fig3 = ExperimentRegistry.Get("fig3").Plan(p, 1).Single(r => r.Dataset == p.Datasets[0] && r.Variant == "CP+PA");
        Assert.Equal((int)Math.Round(12 * p.Base.Epochs / 60.0), fig3.Config.Loss.Cp.StartEpoch);
        Assert.Equal(fig3.Config.Loss.Cp.StartEpoch, ExperimentRegistry.Fig3StartEpoch(p));
    }

    [Theory]
    [InlineData("default")]
    [InlineData("pretrained-frozen")]
    [InlineData("pretrained-layer4")]
    public void Study_rows_are_the_primary_reading_changed_only_where_the_reading_says(string profileName)
    {
        var profile = Profiles.Get(profileName);
        var table1 = ExperimentRegistry.Get("table1").Plan(profile, 1).ToDictionary(r => r.Variant, r => r.Config);
        var study = ExperimentRegistry.Get("study-i").Plan(profile, 1).ToDictionary(r => r.Variant, r => r.Config);
        // The primary reading's rows are Table I's rows: the study does not change the primary reading.
        Assert.Equal(table1["PA (s^p only)"], study["PA"]);
        Assert.Equal(table1["PA + s^g"], study["primary | s^g"]);
        Assert.Equal(table1["PA + s^g + L_cal"], study["primary | s^g + L_cal"]);
        var primary = study["primary | s^g + L_cal"].Loss;
        Assert.Equal(primary.Cp with { CenterSimilarity = ResearchKit.Similarity.CenterSimilarityMode.CenteredCos }, study["sg=centered | s^g + L_cal"].Loss.Cp);
        Assert.Equal(primary.Cp with { CenterWeight = 0.1 }, study["beta=0.1 | s^g + L_cal"].Loss.Cp);
        Assert.Equal(primary.Cp with { CenterClasses = ResearchKit.Similarity.CenterClasses.OwnClass }, study["sg=own_class | s^g + L_cal"].Loss.Cp);
        Assert.Equal(primary.Cp with { Lambda = 100 }, study["lambda=100 | s^g + L_cal"].Loss.Cp);
        Assert.Equal(new ProxyAnchorOptions { Alpha = 16, Margin = 0.2 }, study["pa_rescaled | s^g + L_cal"].Loss.Base);
        // pa_rescaled changes PA itself, so PA with the same α, δ and no CP runs beside it (its control), in every claim.
        Assert.Equal(study["PA"] with { Loss = study["PA"].Loss with { Base = new ProxyAnchorOptions { Alpha = 16, Margin = 0.2 } } }, study["pa_rescaled | PA"]);
        Assert.False(study["pa_rescaled | PA"].Loss.CalibrateProxy);
        Assert.DoesNotContain("primary | PA", study.Keys);
        foreach (var (experiment, row) in new[] { ("study-ii", "pa_rescaled | PA"), ("study-iii", "pa_rescaled | PA K=3"), ("study-v", "pa_rescaled | PA noise=50%") })
        {
            var control = ExperimentRegistry.Get(experiment).Plan(profile, 1).Single(r => r.Variant == row).Config;
            Assert.Equal((false, 16.0), (control.Loss.CalibrateProxy, ((ProxyAnchorOptions)control.Loss.Base).Alpha));
        }
        Assert.DoesNotContain("lambda=10 | s^g", study.Keys);      // λ readings have no λ = 0 row of their own
        Assert.DoesNotContain("T=0.1 | s^g + L_cal", study.Keys);  // nor K = 1 rows for readings that need K > 1

        foreach (var e in CpStudy.Experiments)
        {
            var plan = e.Plan(profile, 3);
            Assert.Equal(e.Variants.Count * 3, plan.Count);
            Assert.Equal(e.Variants.Count, e.Variants.Select(v => v.Name).Distinct().Count());
            Assert.All(plan, r => Assert.Equal(profile.Base.Backbone, r.Config.Backbone));
        }
        var k3 = ExperimentRegistry.Get("study-iii").Plan(profile, 1).ToDictionary(r => r.Variant, r => r.Config.Loss);
        Assert.Equal((true, 3, 0.1), (k3["T=0.1 | CP K=3"].CalibrateProxy, k3["T=0.1 | CP K=3"].Cp.ProxiesPerClass, k3["T=0.1 | CP K=3"].Cp.Temperature));
        var noisy = ExperimentRegistry.Get("study-v").Plan(profile, 1).Single(r => r.Variant == "sg=centered | CP noise=50%").Config;
        Assert.Equal(0.5, noisy.LabelNoiseRate);
    }
}
