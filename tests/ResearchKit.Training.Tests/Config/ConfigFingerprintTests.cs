using ResearchKit.Training.Config;

namespace ResearchKit.Training.Tests.Config;

public class ConfigFingerprintTests
{
    [Fact]
    public void Runtime_fields_do_not_change_the_fingerprint_and_recipe_fields_do()
    {
        var c = new TrainingConfig { Dataset = "glyphs-tiny", Epochs = 4 };
        Assert.Equal(ConfigFingerprint.Of(c), ConfigFingerprint.Of(c with { Device = "cuda:1", Threads = 3, Workers = 2, KeepCheckpoints = 5 }));
        Assert.NotEqual(ConfigFingerprint.Of(c), ConfigFingerprint.Of(c with { Epochs = 6 }));
        Assert.NotEqual(ConfigFingerprint.Of(c), ConfigFingerprint.Of(c with { Loss = c.Loss with { CalibrateProxy = !c.Loss.CalibrateProxy } }));
        Assert.Equal(64, ConfigFingerprint.Of(c).Length);
        Assert.Equal(["epochs: 6 vs 4"], ConfigFingerprint.Differences(c with { Epochs = 6 }, c));
        Assert.Contains("loss.calibrateProxy", ConfigFingerprint.DescribeDifferences(c with { Loss = c.Loss with { CalibrateProxy = !c.Loss.CalibrateProxy } }, c));
        Assert.Empty(ConfigFingerprint.Differences(c, c with { Device = "cuda" }));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("GPU")]
    [InlineData("cuda:")]
    [InlineData("cuda1")]
    public void A_device_typo_is_named_with_the_expected_form(string device)
    {
        var ex = Assert.Throws<ArgumentException>(() => TrainingConfigJson.Deserialize($$"""{"device": "{{device}}"}""", "my.json"));
        Assert.StartsWith($"my.json: TrainingConfig.Device must be cpu, cuda or cuda:N", ex.Message);
        Assert.Contains($"got '{device}'", ex.Message);
    }

    [Fact]
    public void The_chosen_loss_and_its_options_are_part_of_the_recipe()
    {
        var c = new TrainingConfig();
        var nca = c with { Loss = c.Loss with { Base = new ResearchKit.Losses.ProxyNcaOptions() } };
        Assert.NotEqual(ConfigFingerprint.Of(c), ConfigFingerprint.Of(nca));
        Assert.Contains("loss.kind: \"proxyAnchor\" vs \"proxyNca\"", ConfigFingerprint.DescribeDifferences(c, nca));
        var alpha = c with { Loss = c.Loss with { Base = new ResearchKit.Losses.ProxyAnchorOptions { Alpha = 16 } } };
        Assert.Equal(["loss.alpha: 32 vs 16"], ConfigFingerprint.Differences(c, alpha));
        // Equal options are the same recipe, however they were built.
        Assert.Equal(ConfigFingerprint.Of(c), ConfigFingerprint.Of(c with { Loss = c.Loss with { Base = new ResearchKit.Losses.ProxyAnchorOptions() } }));
    }
}
