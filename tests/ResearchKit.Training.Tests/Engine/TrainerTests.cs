using ResearchKit.Losses;
using ResearchKit.Data;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Runs;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Weights;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Engine;

/// <summary>glyphs-tiny, rendered once for all trainer tests.</summary>
public sealed class GlyphsTinyFixture
{
    public ZeroShotDataset Dataset { get; } = DatasetRegistry.Default.Load("glyphs-tiny");
}

public class TrainerTests(GlyphsTinyFixture fixture) : IClassFixture<GlyphsTinyFixture>
{
    // Smaller than the smoke profile so each run takes a few seconds: 3 epochs, CP from epoch 1.
    private static TrainingConfig Quick => Profiles.Smoke.Base with
    {
        Epochs = 3, EvalEveryEpochs = 1, DeviationEveryEpochs = 1, Schedule = new LrScheduleConfig { StepSize = 1, Gamma = 0.5 },
        Loss = Profiles.Smoke.Base.Loss with { Cp = Profiles.Smoke.Base.Loss.Cp with { StartEpoch = 1, QueuePerClass = 4 } },
    };

    private TrainerOptions Options(long? stopAfter = null) => new() { Dataset = fixture.Dataset, StopAfterSteps = stopAfter };

    [Fact]
    public void Same_seed_gives_identical_metrics_and_different_seed_does_not()
    {
        using var dir = new TempDir();
        var a = Trainer.Train(Quick, dir.File("a"), Options());
        var b = Trainer.Train(Quick, dir.File("b"), Options());
        var c = Trainer.Train(Quick with { Seed = 2 }, dir.File("c"), Options());
        Assert.True(a.Completed);
        Assert.Equal(a.FinalMetrics.OrderBy(kv => kv.Key), b.FinalMetrics.OrderBy(kv => kv.Key));
        Assert.NotEqual(a.FinalMetrics[RetrievalMetrics.MapAtR.Key], c.FinalMetrics[RetrievalMetrics.MapAtR.Key]);
        // Steps ran inside no-GC regions (GcQuiet), and none is left open for the rest of the process.
        Assert.True(GcQuiet.RegionsStarted > 0);
        Assert.False(GcQuiet.Active);
        var rows = RunDirectory.ReadEpochs(dir.File("a"));
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.True(r.Value(RunMetrics.Deviation) is not null && r.Value(RetrievalMetrics.MapAtR) is not null));
    }

    [Theory]
    [InlineData(false)]   // stopped mid-epoch (step limit inside epoch 2)
    [InlineData(true)]    // stopped exactly at an epoch boundary
    public void Killed_run_resumes_to_the_same_metrics_and_parameters(bool atBoundary)
    {
        using var dir = new TempDir();
        var full = Trainer.Train(Quick, dir.File("full"), Options());
        long perEpoch = full.Steps / Quick.Epochs;
        long stopAt = atBoundary ? perEpoch : perEpoch + perEpoch / 2;
        var killed = Trainer.Train(Quick, dir.File("killed"), Options(stopAfter: stopAt));
        Assert.False(killed.Completed);
        Assert.Equal(1, killed.EpochsCompleted);
        var resumed = Trainer.Resume(dir.File("killed"), Options());
        Assert.True(resumed.Completed);
        Assert.Equal(full.Steps, resumed.Steps);
        Assert.Equal(full.FinalMetrics.OrderBy(kv => kv.Key), resumed.FinalMetrics.OrderBy(kv => kv.Key));
        AssertSameCheckpoint(dir.File("full"), dir.File("killed"), Quick.Epochs);
    }

    [Theory]
    [InlineData(true)]    // the issue's acceptance: CP + Proxy Anchor exactly as the smoke profile configures it
    [InlineData(false)]   // plain Proxy Anchor
    public void Training_at_the_smoke_profile_beats_the_raw_pixel_baseline(bool calibrateProxy)
    {
        using var dir = new TempDir();
        var cfg = Profiles.Smoke.Base with { Loss = Profiles.Smoke.Base.Loss with { CalibrateProxy = calibrateProxy } };
        Assert.Equal(ProxyAnchorLoss.Registration, cfg.Loss.Entry);
        var result = Trainer.Train(cfg, dir.File("run"), Options());
        using var scope = NewDisposeScope();
        var raw = RawPixelBaseline.Embeddings(fixture.Dataset.Test, 32);
        var baseline = RetrievalEvaluator.Evaluate(raw, fixture.Dataset.Test.Labels());
        Assert.True(result.FinalMetrics[RetrievalMetrics.MapAtR.Key] > baseline.MapAtR,
            $"{(calibrateProxy ? "CP+PA" : "PA")} MAP@R {result.FinalMetrics[RetrievalMetrics.MapAtR.Key]:F4} vs raw pixels {baseline.MapAtR:F4}");
    }

    [Fact]
    public void Evaluating_the_last_checkpoint_reproduces_the_runs_final_metrics()
    {
        using var dir = new TempDir();
        var cfg = Quick with { Epochs = 2 };
        var result = Trainer.Train(cfg, dir.File("run"), Options());
        var ckpt = new CheckpointStore(Path.Combine(dir.File("run"), "checkpoints")).PathFor(cfg.Epochs);
        var eval = CheckpointEvaluation.Evaluate(ckpt, dataset: fixture.Dataset);
        Assert.Equal(fixture.Dataset.Test.Count, eval.TestImages);
        foreach (var metric in new[] { RetrievalMetrics.MapAtR, RetrievalMetrics.PrecisionAt1, RetrievalMetrics.RPrecision })
            Assert.Equal(result.FinalMetrics[metric.Key], RetrievalMetrics.Read(eval.Result, metric)!.Value, 12);
        Assert.Equal(result.Retrieval, eval.Result);   // the typed final evaluation is the checkpoint's, field for field
        Assert.Throws<FileNotFoundException>(() => CheckpointEvaluation.Evaluate(Path.Combine(dir.Path, "missing.ckpt")));

        // The notebooks' LoadRun: the newest checkpoint with the objective, whose proxies are the checkpoint's loss section.
        using var run = TrainedRun.LoadLatest(dir.File("run"), withLoss: true, dataset: fixture.Dataset);
        Assert.Equal(ckpt, run.Checkpoint);
        Assert.False(run.Network.training);
        Assert.Equal(result.Retrieval, run.EvaluateTest());
        using var scope = NewDisposeScope();
        var saved = Safetensors.Read(new MemoryStream(CheckpointStore.ReadSections(ckpt)["module:loss"]), "loss");
        var proxies = Assert.Single(saved, kv => kv.Key.EndsWith("proxies", StringComparison.Ordinal)).Value;
        Assert.True(run.Proxies.Proxies.detach().cpu().allclose(proxies, rtol: 0, atol: 0));   // bit-identical
        using var withoutLoss = TrainedRun.Load(ckpt, dataset: fixture.Dataset);
        Assert.Contains("withLoss: true", Assert.Throws<InvalidOperationException>(() => withoutLoss.Proxies).Message);
        Assert.Contains("holds no checkpoint", Assert.Throws<ArgumentException>(() => TrainedRun.LoadLatest(dir.Path)).Message);
    }

    private static void AssertSameCheckpoint(string runA, string runB, int epoch)
    {
        var a = CheckpointStore.ReadSections(new CheckpointStore(Path.Combine(runA, "checkpoints")).PathFor(epoch));
        var b = CheckpointStore.ReadSections(new CheckpointStore(Path.Combine(runB, "checkpoints")).PathFor(epoch));
        foreach (var name in new[] { "module:model", "module:loss", "optimizer" })
            Assert.True(a[name].AsSpan().SequenceEqual(b[name]), $"section {name} differs");
    }
}
