using ResearchKit.Data;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Tests.Models;
using ResearchKit.Training.Weights;
using static TorchSharp.torch;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Engine;

/// <summary>glyphs-tiny and ResNet-18's converted weights, once for the class.</summary>
public sealed class PretrainedGlyphsFixture : IDisposable
{
    private readonly ConvertedResNet18 converted = new();

    public ZeroShotDataset Dataset { get; } = DatasetRegistry.Default.Load("glyphs-tiny");
    public string Weights => converted.WeightsPath;
    /// <summary>A feature cache shared by the tests that do not test cache misses (the extraction is their main cost).</summary>
    public string Cache => converted.Scratch("cache");
    public void Dispose() => converted.Dispose();
}

public sealed class CachedInputTrainerTests(PretrainedGlyphsFixture fixture) : IClassFixture<PretrainedGlyphsFixture>
{
    // The pretrained-frozen recipe on glyphs-tiny at 64 px (the extraction is the cost), 4 epochs, CP from epoch 1.
    private TrainingConfig Frozen => Profiles.PretrainedFrozen.Base with
    {
        Dataset = "glyphs-tiny", PretrainedWeights = fixture.Weights, ImageSize = 64, Epochs = 4, EvalEveryEpochs = 1, EmbeddingSize = 32,
        Schedule = new LrScheduleConfig { StepSize = 2, Gamma = 0.5 },
        Loss = Profiles.PretrainedFrozen.Base.Loss with { CalibrateProxy = true, Cp = Profiles.PretrainedFrozen.Base.Loss.Cp with { StartEpoch = 1, QueuePerClass = 4 } },
    };

    private TrainerOptions Options(string cache, long? stopAfter = null) =>
        new() { Dataset = fixture.Dataset, FeatureCacheDirectory = cache, StopAfterSteps = stopAfter };

    [Fact]
    public void A_cache_hit_gives_the_same_run_as_the_miss_that_filled_it()
    {
        using var dir = new TempDir();
        var cache = dir.File("cache");
        var miss = Trainer.Train(Frozen, dir.File("a"), Options(cache));
        Assert.Equal(2, Directory.GetFiles(cache, "*.rkfeat").Length);   // train and test split
        var hit = Trainer.Train(Frozen, dir.File("b"), Options(cache));
        Assert.Equal(miss.FinalMetrics.OrderBy(kv => kv.Key), hit.FinalMetrics.OrderBy(kv => kv.Key));
        Assert.Contains(RunMetrics.Deviation.Key, miss.FinalMetrics.Keys);
    }

    // Whether the trained head beats the raw features themselves is a measurement of the profile (docs/pretrained-regime.md:
    // it does on glyphs at 112 px, not on glyphs-tiny at 64 px in 10 epochs), so the test asks for learning only.
    [Fact]
    public void Proxy_Anchor_on_frozen_features_improves_on_its_initial_head()
    {
        using var dir = new TempDir();
        var cfg = Frozen with { Epochs = 6, EvalEveryEpochs = 6, Loss = Frozen.Loss with { CalibrateProxy = false } };
        var result = Trainer.Train(cfg, dir.File("run"), Options(fixture.Cache));
        using var scope = NewDisposeScope();
        Determinism.Initialize(cfg.Seed, cfg.Threads);   // the run's initial head, drawn as the trainer drew it
        using var inputs = RunInputs.Create(cfg, TrainingData.For(cfg, fixture.Dataset), CPU, 1, fixture.Cache);
        Assert.Equal((fixture.Dataset.Test.Count, 512L), ((int)inputs.CachedTestRows!.shape[0], inputs.CachedTestRows!.shape[1]));
        var initial = RetrievalEvaluator.Evaluate(inputs.Embed(test: true, 256), fixture.Dataset.Test.Labels());
        Assert.True(result.FinalMetrics[RetrievalMetrics.MapAtR.Key] > initial.MapAtR + 0.01,
            $"trained head MAP@R {result.FinalMetrics[RetrievalMetrics.MapAtR.Key]:F4} vs its initial head {initial.MapAtR:F4}");
    }

    [Fact]
    public void Label_noise_reuses_the_clean_cache_and_trains_on_the_noisy_labels()
    {
        using var dir = new TempDir();
        var cache = dir.File("cache");   // its own, to count the files
        var clean = Trainer.Train(Frozen with { Epochs = 1 }, dir.File("clean"), Options(cache));
        var noisy = Trainer.Train(Frozen with { Epochs = 1, LabelNoiseRate = 0.5 }, dir.File("noisy"), Options(cache));
        Assert.Equal(2, Directory.GetFiles(cache, "*.rkfeat").Length);
        Assert.NotEqual(clean.FinalMetrics[RunMetrics.Loss.Key], noisy.FinalMetrics[RunMetrics.Loss.Key]);
    }

    [Fact]
    public void Killed_cached_run_resumes_to_the_same_metrics()
    {
        using var dir = new TempDir();
        var cache = fixture.Cache;
        var full = Trainer.Train(Frozen, dir.File("full"), Options(cache));
        long perEpoch = full.Steps / Frozen.Epochs;
        var killed = Trainer.Train(Frozen, dir.File("killed"), Options(cache, stopAfter: perEpoch + perEpoch / 2));
        Assert.False(killed.Completed);
        var resumed = Trainer.Resume(dir.File("killed"), Options(cache));
        Assert.Equal(full.FinalMetrics.OrderBy(kv => kv.Key), resumed.FinalMetrics.OrderBy(kv => kv.Key));
        // researchkit eval of the last checkpoint reproduces the run's metrics on the cached test features.
        var ckpt = new ResearchKit.Training.Runs.CheckpointStore(Path.Combine(dir.File("full"), "checkpoints")).PathFor(Frozen.Epochs);
        var eval = CheckpointEvaluation.Evaluate(ckpt, dataset: fixture.Dataset, featureCacheDirectory: cache);
        Assert.Equal(full.FinalMetrics[RetrievalMetrics.MapAtR.Key], eval.Result.MapAtR, 12);
    }

    [Fact]
    public void Layer3_activations_train_stage_4_with_frozen_BatchNorm()
    {
        using var dir = new TempDir();
        var cfg = Profiles.PretrainedLayer4.Base with
        {
            Dataset = "glyphs-tiny", PretrainedWeights = fixture.Weights, ImageSize = 64, Epochs = 2, EvalEveryEpochs = 2, EmbeddingSize = 32,
            Loss = Profiles.PretrainedLayer4.Base.Loss with { Cp = Profiles.PretrainedLayer4.Base.Loss.Cp with { QueuePerClass = 4 } },
        };
        var result = Trainer.Train(cfg, dir.File("run"), Options(fixture.Cache));
        Assert.True(result.Completed);
        Assert.True(result.FinalMetrics[RetrievalMetrics.RecallAt(1).Key] > 0);
        // Stage 4 trained after the warm-up epoch; its BatchNorm statistics and affine did not move.
        var state = ResearchKit.Training.Runs.CheckpointStore.ReadSections(
            new ResearchKit.Training.Runs.CheckpointStore(Path.Combine(dir.File("run"), "checkpoints")).PathFor(cfg.Epochs));
        using var scope = NewDisposeScope();
        var trained = Safetensors.Read(new MemoryStream(state["module:model"]), "model");
        var original = Safetensors.Read(fixture.Weights);
        Assert.False(trained["backbone.layer4.0.conv1.weight"].eq(original["layer4.0.conv1.weight"]).all().item<bool>());
        foreach (var key in new[] { "bn1.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var" })
            Assert.True(trained[$"backbone.layer4.2.{key}"].eq(original[$"layer4.2.{key}"]).all().item<bool>(), key);
    }

    // The profiles name weights/resnet18-cntk.safetensors, which a fresh clone lacks: the first run converts it from the
    // restored package (a run of study-ii in worker processes failed here before the trainer ever built the backbone).
    [Fact]
    public void A_first_run_converts_missing_ResNet18_weights_and_trains()
    {
        using var dir = new TempDir();
        var weights = dir.File("weights/resnet18-cntk.safetensors");
        var cfg = Frozen with { PretrainedWeights = weights, Epochs = 1, EvalEveryEpochs = 1, Loss = Frozen.Loss with { CalibrateProxy = false } };
        var result = Trainer.Train(cfg, dir.File("run"), Options(fixture.Cache));
        Assert.True(result.Completed);
        Assert.Equal(File.ReadAllBytes(fixture.Weights), File.ReadAllBytes(weights));
    }

    [Fact]
    public void Cached_inputs_need_pretrained_weights()
    {
        var e = Assert.Throws<ArgumentException>(() => (Frozen with { PretrainedWeights = null }).Validate());
        Assert.Contains(nameof(TrainingConfig.CachedInput), e.Message);
    }
}
