using System.Text.Json;
using ResearchKit.Losses;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Config;
using ResearchKit.Training.Models;

namespace ResearchKit.Training.Tests.Config;

public class TrainingConfigTests
{
    [Fact]
    public void Defaults_are_the_papers()
    {
        var c = new TrainingConfig();
        Assert.Equal(("cub", "bn-inception", 512, 150, 60), (c.Dataset, c.Backbone, c.EmbeddingSize, c.BatchSize, c.Epochs));
        Assert.Equal((1e-4, 1e-4, 100.0, 1.0, 1), (c.LearningRate, c.WeightDecay, c.ProxyLrMultiplier, c.HeadLrMultiplier, c.WarmupEpochs));
        Assert.Equal(BatchNormFreeze.EvalAndFrozenAffine, c.BatchNormFreeze);
        Assert.Equal(10.0, c.GradClipValue);
        Assert.Equal((LrScheduleKind.Step, 10, 0.5), (c.Schedule.Kind, c.Schedule.StepSize, c.Schedule.Gamma));
        Assert.Equal(GlobalPooling.AveragePlusMax, c.Pooling);
        c.Validate();
    }

    [Theory]
    [InlineData(false, false, true)]    // plain Proxy-NCA: PML's form, positive in the denominator
    [InlineData(true, false, false)]    // CP + Proxy-NCA: the primary reading of Eq. (8), positive excluded
    [InlineData(true, true, true)]      // the nca_include_positive switch
    public void Cp_proxy_nca_excludes_the_positive_unless_switched(bool calibrateProxy, bool cpIncludePositive, bool expected)
    {
        var options = new ProxyNcaOptions { CpIncludePositive = cpIncludePositive };
        var config = new LossConfig { Base = options, CalibrateProxy = calibrateProxy };
        var loss = Assert.IsType<ProxyNcaLoss>(config.Entry.Build(config.Base, config.CalibrateProxy));
        Assert.Equal(expected, loss.Options.IncludePositive);
        Assert.Equal(options.Scale, loss.Options.Scale);
        // The objective the trainer gets is built the same way.
        var objective = LossFactory.Create(config, 3, 4);
        var inner = calibrateProxy ? ((CalibrateProxyObjective)objective).BaseLoss : ((ProxyObjective)objective).Loss;
        Assert.Equal(expected, Assert.IsType<ProxyNcaLoss>(inner).Options.IncludePositive);
    }

    [Fact]
    public void Json_round_trips_with_enums_as_strings_and_loss_options()
    {
        var c = new TrainingConfig
        {
            Dataset = "glyphs-small", Backbone = BackboneRegistry.GlyphCnn, EmbeddingSize = 64, Epochs = 5, Seed = 7, Threads = 2,
            Schedule = new LrScheduleConfig { Kind = LrScheduleKind.Cosine, MinLr = 1e-6 }, BatchNormFreeze = BatchNormFreeze.None,
            Loss = new LossConfig { Base = new SoftTripleOptions { La = 16 }, Cp = new ResearchKit.Losses.CalibrateProxyOptions { StartEpoch = 3, Composite = ResearchKit.Similarity.CompositeMode.Mean } },
        };
        var json = TrainingConfigJson.Serialize(c);
        Assert.Contains("\"kind\": \"cosine\"", json);
        Assert.Contains("\"batchNormFreeze\": \"none\"", json);
        Assert.Contains("\"pooling\": \"averagePlusMax\"", json);
        var back = TrainingConfigJson.Deserialize(json);
        Assert.Equal(json, TrainingConfigJson.Serialize(back));
        Assert.Equal(c with { Loss = null! }, back with { Loss = null! });
        Assert.Equal(c.Loss, back.Loss);
        Assert.Contains("\"composite\": \"mean\"", json);
        // The loss section holds the chosen loss's options only, named by its kind.
        Assert.Contains("\"kind\": \"softTriple\"", json);
        Assert.Contains("\"la\": 16", json);
        Assert.DoesNotContain("proxyAnchor", json);
        Assert.DoesNotContain("\"alpha\"", json);

        using var dir = new TempDir();
        TrainingConfigJson.Save(c, dir.File("c.json"));
        Assert.Equal(json, TrainingConfigJson.Serialize(TrainingConfigJson.Load(dir.File("c.json"))));
    }

    [Fact]
    public void Confidence_module_section_round_trips_and_defaults()
    {
        var d = new ConfidenceModuleConfig();
        Assert.Equal((ConfidenceSource.Module, ConfidenceFeatureSource.Auto, 0, 10, 1e-3, 64), (d.Source, d.Features, d.HiddenSize, d.Epochs, d.LearningRate, d.BatchSize));
        var c = new TrainingConfig
        {
            Loss = new LossConfig
            {
                Base = new SmoothProxyAnchorOptions { Mu = 0.3, Beta = 5, Theta = 0.4 }, CalibrateProxy = false,
                Confidence = new ConfidenceModuleConfig { Features = ConfidenceFeatureSource.RawPixels, HiddenSize = 128, Epochs = 4, LearningRate = 3e-3, WeightDecay = 0, BatchSize = 32 },
            },
        };
        var json = TrainingConfigJson.Serialize(c);
        Assert.Contains("\"features\": \"rawPixels\"", json);
        Assert.Contains("\"hiddenSize\": 128", json);
        var back = TrainingConfigJson.Deserialize(json);
        Assert.Equal(c.Loss.Confidence, back.Loss.Confidence);
        Assert.Equal(c.Loss.Base, back.Loss.Base);
        Assert.Equal(json, TrainingConfigJson.Serialize(back));
        Assert.Equal(new ConfidenceModuleConfig(), TrainingConfigJson.Deserialize("""{"loss": {"kind": "smoothProxyAnchor"}}""").Loss.ConfidenceModule);
    }

    [Fact]
    public void Missing_fields_take_defaults()
    {
        var c = TrainingConfigJson.Deserialize("""{"epochs": 3, "schedule": {"stepSize": 2}}""");
        Assert.Equal(3, c.Epochs);
        Assert.Equal(2, c.Schedule.StepSize);
        Assert.Equal(0.5, c.Schedule.Gamma);
        Assert.Equal(150, c.BatchSize);
    }

    [Theory]
    [InlineData("""{"epoch": 3}""", "epoch")]
    [InlineData("""{"schedule": {"kind": "linear"}}""", "$.schedule.kind")]
    [InlineData("""{"batchSize": 0}""", "BatchSize")]
    [InlineData("""{"epochs": 2, "warmupEpochs": 2}""", "WarmupEpochs")]
    [InlineData("""{"schedule": {"gamma": 1.5}}""", "Schedule.Gamma")]
    [InlineData("""{"loss": {"proxiesPerClass": 0}}""", "ProxiesPerClass")]
    [InlineData("""{"loss": {"kind": "smoothProxyAnchor", "confidence": {"epochs": 0}}}""", "Loss.Confidence.Epochs")]
    [InlineData("""{"loss": {"kind": "smoothProxyAnchor", "confidence": {"hiddenSize": -1}}}""", "Loss.Confidence.HiddenSize")]
    [InlineData("""{"loss": {"kind": "smoothProxyAnchor", "confidence": {"features": "pixels"}}}""", "confidence.features")]
    [InlineData("""{"loss": {"confidence": {"epochs": 3}}}""", "Loss.Confidence configures the confidence module")]   // PA takes no confidences
    [InlineData("""{"loss": {"kind": "proxyAnchr"}}""", "unknown loss 'proxyAnchr'; expected one of: ")]
    [InlineData("""{"loss": {"kind": 3}}""", "loss.kind must be a loss name")]
    [InlineData("""{"loss": {"kind": "proxyAnchor", "scale": 3}}""", "'scale'")]                  // Proxy-NCA's option, not PA's
    [InlineData("""{"loss": {"kind": "proxyAnchor", "alpha": -1}}""", "Loss (proxyAnchor).Alpha")]
    [InlineData("""{"loss": {"kind": "softTriple", "centersPerClass": 0}}""", "Loss (softTriple).CentersPerClass")]
    [InlineData("""{"loss": {"cp": {"queuePerClass": 0}}}""", "Loss.Cp.QueuePerClass")]
    [InlineData("""{"loss": {"cp": {"startEpoch": -1}}}""", "Loss.Cp.StartEpoch")]
    [InlineData("""{"loss": {"base": "proxyAnchor", "proxyAnchr": {}}}""", "loss.proxyAnchr")]   // an old-form section with a typo
    public void Bad_configs_are_rejected_naming_the_field(string json, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => TrainingConfigJson.Deserialize(json));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void An_unknown_loss_kind_lists_every_registered_loss()
    {
        var ex = Assert.Throws<ArgumentException>(() => TrainingConfigJson.Deserialize("""{"loss": {"kind": "proxy_anchor"}}"""));
        Assert.Contains($"expected one of: {string.Join(", ", LossRegistry.Default.Names)}.", ex.Message);
    }

    [Fact]
    public void Every_registered_loss_round_trips_through_its_kind()
    {
        foreach (var entry in LossRegistry.Default.Entries)
        {
            var c = new TrainingConfig { Loss = new LossConfig { Base = entry.DefaultOptions, CalibrateProxy = false } };
            var json = TrainingConfigJson.Serialize(c);
            Assert.Contains($"\"kind\": \"{entry.Name}\"", json);
            var back = TrainingConfigJson.Deserialize(json);
            Assert.Equal(c, back);
            Assert.Same(entry, back.Loss.Entry);
        }
    }

    [Fact]
    public void An_old_form_loss_section_reads_as_the_chosen_loss_and_keeps_its_options()
    {
        // The form written before issue 11: "base" plus every loss's options and cpNcaIncludePositive beside CP's.
        const string old = """
            {"epochs": 4, "loss": {"base": "proxyNca", "calibrateProxy": true, "proxiesPerClass": 2,
              "cp": {"lambda": 0.5, "startEpoch": 1, "queuePerClass": 7, "proxiesPerClass": 3, "temperature": 1},
              "proxyAnchor": {"alpha": 32, "margin": 0.1}, "proxyNca": {"scale": 16, "includePositive": true},
              "cpNcaIncludePositive": true, "softTriple": {"la": 20}, "smoothProxyAnchor": {"alpha": 32},
              "confidence": {"epochs": 10}}}
            """;
        var c = TrainingConfigJson.Deserialize(old);
        Assert.Equal(new ProxyNcaOptions { Scale = 16, IncludePositive = true, CpIncludePositive = true }, c.Loss.Base);
        Assert.Equal((true, 2, 0.5, 7), (c.Loss.CalibrateProxy, c.Loss.ProxiesPerClass, c.Loss.Cp.Lambda, c.Loss.Cp.QueuePerClass));
        Assert.Null(c.Loss.Confidence);   // Proxy-NCA takes no confidences: the old section's defaults are dropped
        var json = TrainingConfigJson.Serialize(c);
        Assert.Contains("\"kind\": \"proxyNca\"", json);
        Assert.DoesNotContain("\"base\"", json);
        Assert.Equal(c, TrainingConfigJson.Deserialize(json));

        var spa = TrainingConfigJson.Deserialize("""{"loss": {"base": "smoothProxyAnchor", "smoothProxyAnchor": {"theta": 0.4}, "confidence": {"epochs": 3}}}""");
        Assert.Equal(new SmoothProxyAnchorOptions { Theta = 0.4 }, spa.Loss.Base);
        Assert.Equal(3, spa.Loss.ConfidenceModule.Epochs);
    }

    [Fact]
    public void Equal_recipes_with_different_fingerprints_are_explained_as_a_format_change()
    {
        var a = new TrainingConfig { Epochs = 6 };
        Assert.Equal("epochs: 6 vs 4", ConfigFingerprint.DescribeDifferences(a, a with { Epochs = 4 }));
        Assert.Equal(ConfigFingerprint.FormatChanged, ConfigFingerprint.DescribeDifferences(a, a));
        Assert.Contains("loss section", ConfigFingerprint.FormatChanged);
    }
}
