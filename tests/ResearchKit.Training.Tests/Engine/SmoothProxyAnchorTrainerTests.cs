using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Confidence;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Runs;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Engine;

public class SmoothProxyAnchorTrainerTests(GlyphsTinyFixture fixture) : IClassFixture<GlyphsTinyFixture>
{
    // glyphs-tiny with 20 % symmetric noise, Smooth Proxy-Anchor without CP, 2 epochs.
    private static TrainingConfig Noisy => Profiles.Smoke.Base with
    {
        Epochs = 2, EvalEveryEpochs = 2, LabelNoiseRate = 0.2,
        Loss = Profiles.Smoke.Base.Loss with { Base = new SmoothProxyAnchorOptions(), CalibrateProxy = false },
    };

    private TrainerOptions Options => new() { Dataset = fixture.Dataset };

    [Fact]
    public void Smooth_proxy_anchor_trains_end_to_end_with_the_confidence_module()
    {
        using var dir = new TempDir();
        var result = Trainer.Train(Noisy, dir.File("spa"), Options);
        Assert.True(result.Completed);
        var m = result.FinalMetrics;
        Assert.True(double.IsFinite(m[RunMetrics.Loss.Key]) && m[RunMetrics.Loss.Key] > 0, $"loss {m[RunMetrics.Loss.Key]}");
        Assert.InRange(m[RetrievalMetrics.MapAtR.Key], 0.0, 1.0);
        // On raw pixels of glyphs-tiny the module ranks the true class above the noisy label for most flipped samples.
        Assert.True(m[ConfidenceQuality.Names.FlippedTrueAboveNoisy] > 0.5, $"true above noisy on {m[ConfidenceQuality.Names.FlippedTrueAboveNoisy]:P1} of flipped samples");
        Assert.InRange(m[ConfidenceQuality.Names.CleanLabelConfidence], 0.0, 1.0);
        Assert.Equal(2, RunDirectory.ReadEpochs(dir.File("spa")).Count);
    }

    [Fact]
    public void The_confidences_reach_the_loss()
    {
        // Same run, one-hot labels instead of the module: the first epoch's loss differs only if the confidences are used.
        using var dir = new TempDir();
        var one = Noisy with { Epochs = 1, EvalEveryEpochs = 1 };
        var withModule = Trainer.Train(one, dir.File("module"), Options);
        var withLabels = Trainer.Train(one with { Loss = one.Loss with { Confidence = new ConfidenceModuleConfig { Source = ConfidenceSource.OneHotLabels } } },
            dir.File("labels"), Options);
        Assert.NotEqual(withLabels.FinalMetrics[RunMetrics.Loss.Key], withModule.FinalMetrics[RunMetrics.Loss.Key]);
        Assert.False(withLabels.FinalMetrics.ContainsKey(ConfidenceQuality.Names.FlippedTrueIsTop));
    }

    [Fact]
    public void Calibrate_proxy_with_smooth_proxy_anchor_takes_the_confidences()
    {
        using var dir = new TempDir();
        var cfg = Noisy with
        {
            Epochs = 1, EvalEveryEpochs = 1,
            Loss = Noisy.Loss with { CalibrateProxy = true, Cp = Noisy.Loss.Cp with { StartEpoch = 0, QueuePerClass = 4 } },
        };
        var result = Trainer.Train(cfg, dir.File("cp"), Options);
        Assert.True(result.Completed);
        Assert.True(double.IsFinite(result.FinalMetrics[RunMetrics.Loss.Key]));
        Assert.True(result.FinalMetrics.ContainsKey(ConfidenceQuality.Names.FlippedTrueIsTop));
    }

    [Fact]
    public void Resuming_a_finished_run_returns_its_result_without_rebuilding_the_confidence_stage()
    {
        using var dir = new TempDir();
        var cfg = Noisy with
        {
            Epochs = 1, EvalEveryEpochs = 1,
            Loss = Noisy.Loss with { Confidence = Noisy.Loss.ConfidenceModule with { Features = ConfidenceFeatureSource.FrozenBackbone } },
        };
        var run = dir.File("run");
        var result = Trainer.Train(cfg, run, Options);
        var cache = Assert.Single(Directory.GetFiles(run, "confidence-features-*"));
        File.Delete(cache);
        var metricsBefore = File.ReadAllText(Path.Combine(run, "metrics.csv"));

        var resumed = Trainer.Resume(run, Options);

        Assert.True(resumed.Completed);
        Assert.Equal(result.FinalMetrics.OrderBy(kv => kv.Key), resumed.FinalMetrics.OrderBy(kv => kv.Key));
        Assert.Empty(Directory.GetFiles(run, "confidence-features-*"));   // the frozen-feature pass did not run again
        Assert.Equal(metricsBefore, File.ReadAllText(Path.Combine(run, "metrics.csv")));
    }

    [Fact]
    public void Auto_features_are_the_pretrained_backbone_or_raw_pixels()
    {
        Assert.Equal(ConfidenceFeatureSource.RawPixels, ConfidenceStage.Resolve(Noisy));
        Assert.Equal(ConfidenceFeatureSource.FrozenBackbone, ConfidenceStage.Resolve(Profiles.Paper.Base));
        var forced = Noisy with { Loss = Noisy.Loss with { Confidence = new ConfidenceModuleConfig { Features = ConfidenceFeatureSource.FrozenBackbone } } };
        Assert.Equal(ConfidenceFeatureSource.FrozenBackbone, ConfidenceStage.Resolve(forced));
        Assert.True(ConfidenceStage.IsNeeded(Noisy));
        Assert.False(ConfidenceStage.IsNeeded(Profiles.Smoke.Base));
    }

    [Fact]
    public void Frozen_backbone_features_feed_the_module_and_are_cached()
    {
        using var dir = new TempDir();
        var cfg = Noisy with { Epochs = 1, EvalEveryEpochs = 1,
            Loss = Noisy.Loss with { Confidence = new ConfidenceModuleConfig { Features = ConfidenceFeatureSource.FrozenBackbone, Epochs = 2 } } };
        var options = Options with { FeatureCacheDirectory = dir.File("cache") };
        var a = Trainer.Train(cfg, dir.File("a"), options);
        Assert.Single(Directory.GetFiles(dir.File("cache"), "confidence-features-*.rkfeat"));
        var b = Trainer.Train(cfg, dir.File("b"), options);   // from the cache: same features, same run
        Assert.Equal(a.FinalMetrics.OrderBy(kv => kv.Key), b.FinalMetrics.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Confidences_for_a_loss_that_takes_none_are_rejected()
    {
        using var scope = NewDisposeScope();
        var built = LossFactory.Create(new LossConfig { CalibrateProxy = false }, 3, 4);
        var ex = Assert.Throws<ArgumentException>(() => built.call(randn(2, 4), tensor(new long[] { 0, 1 }), new ObjectiveStep(0, full(2, 3, 0.5f))));
        Assert.Equal("confidences", ex.ParamName);
        var spa = LossFactory.Create(new LossConfig { Base = new SmoothProxyAnchorOptions(), CalibrateProxy = false }, 3, 4);
        Assert.Throws<ArgumentException>(() => spa.call(randn(2, 4), tensor(new long[] { 0, 1 }), new ObjectiveStep(0, full(2, 2, 0.5f))));
    }
}
