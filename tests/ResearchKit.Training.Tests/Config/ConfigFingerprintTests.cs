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
}
