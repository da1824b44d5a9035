using System.Text.Json;
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
        var config = new LossConfig { Base = BaseLossKind.ProxyNca, CalibrateProxy = calibrateProxy, CpNcaIncludePositive = cpIncludePositive };
        var loss = Assert.IsType<ResearchKit.Losses.ProxyNcaLoss>(ResearchKit.Training.Engine.LossFactory.BaseLoss(config));
        Assert.Equal(expected, loss.Options.IncludePositive);
        Assert.Equal(config.ProxyNca.Scale, loss.Options.Scale);
    }

    [Fact]
    public void Json_round_trips_with_enums_as_strings_and_loss_options()
    {
        var c = new TrainingConfig
        {
            Dataset = "glyphs-small", Backbone = BackboneRegistry.GlyphCnn, EmbeddingSize = 64, Epochs = 5, Seed = 7, Threads = 2,
            Schedule = new LrScheduleConfig { Kind = LrScheduleKind.Cosine, MinLr = 1e-6 }, BatchNormFreeze = BatchNormFreeze.None,
            Loss = new LossConfig { Base = BaseLossKind.SoftTriple, Cp = new ResearchKit.Losses.CalibrateProxyOptions { StartEpoch = 3, Composite = ResearchKit.Similarity.CompositeMode.Mean } },
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
                Base = BaseLossKind.SmoothProxyAnchor, CalibrateProxy = false,
                SmoothProxyAnchor = new ResearchKit.Losses.SmoothProxyAnchorOptions { Mu = 0.3, Beta = 5, Theta = 0.4 },
                Confidence = new ConfidenceModuleConfig { Features = ConfidenceFeatureSource.RawPixels, HiddenSize = 128, Epochs = 4, LearningRate = 3e-3, WeightDecay = 0, BatchSize = 32 },
            },
        };
        var json = TrainingConfigJson.Serialize(c);
        Assert.Contains("\"features\": \"rawPixels\"", json);
        Assert.Contains("\"hiddenSize\": 128", json);
        var back = TrainingConfigJson.Deserialize(json);
        Assert.Equal(c.Loss.Confidence, back.Loss.Confidence);
        Assert.Equal(c.Loss.SmoothProxyAnchor, back.Loss.SmoothProxyAnchor);
        Assert.Equal(json, TrainingConfigJson.Serialize(back));
        Assert.Equal(new ConfidenceModuleConfig(), TrainingConfigJson.Deserialize("""{"loss": {"base": "smoothProxyAnchor"}}""").Loss.Confidence);
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
    [InlineData("""{"loss": {"confidence": {"epochs": 0}}}""", "Loss.Confidence.Epochs")]
    [InlineData("""{"loss": {"confidence": {"hiddenSize": -1}}}""", "Loss.Confidence.HiddenSize")]
    [InlineData("""{"loss": {"confidence": {"features": "pixels"}}}""", "$.loss.confidence.features")]
    public void Bad_configs_are_rejected_naming_the_field(string json, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => TrainingConfigJson.Deserialize(json));
        Assert.Contains(expected, ex.Message);
    }
}
