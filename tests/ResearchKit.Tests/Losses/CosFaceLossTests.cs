using ResearchKit.Losses;
using ResearchKit.Similarity;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// The CosFace-style loss against its formula computed independently with plain doubles (<see cref="PlainMath"/>:
/// CE over s·(S − m·onehot)), in float64 and float32, for the value and the gradient of S.
/// </summary>
public class CosFaceLossTests
{
    [Theory]
    [InlineData(ScalarType.Float64, 64.0, 0.35, 1e-12)]
    [InlineData(ScalarType.Float64, 30.0, 0.2, 1e-12)]
    [InlineData(ScalarType.Float64, 4.0, 0.0, 1e-12)]     // no margin: the scaled softmax
    [InlineData(ScalarType.Float32, 64.0, 0.35, 2e-5)]
    [InlineData(ScalarType.Float32, 8.0, 0.5, 2e-5)]
    public void Value_and_gradient_match_the_formula(ScalarType dtype, double scale, double margin, double rtol)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(51);
        var s = PlainMath.Random2D(rng, 8, 5);
        long[] y = [0, 1, 2, 3, 4, 0, 2, 2];
        var expected = PlainMath.MarginSoftmax(s, y, scale, margin);

        var st = PlainMath.ToTensor(s, dtype).requires_grad_(true);
        var output = new CosFaceLoss(new CosFaceOptions { Scale = scale, Margin = margin }).Compute(st, tensor(y));
        output.Total.backward();
        Assert.Equal(dtype, output.Total.dtype);
        PlainMath.AssertMatches(output, st, expected, rtol);
        Assert.Equal(output.TotalValue, output.Parts[LossParts.CrossEntropy].to_type(ScalarType.Float64).item<double>());
    }

    [Fact]
    public void The_margin_is_taken_from_the_target_cosine_only()
    {
        using var scope = NewDisposeScope();
        // One sample, S = [0.9, 0.3, −0.2] with target 0, s = 10, m = 0.35: −log(e^{5.5} / (e^{5.5} + e^{3} + e^{−2})).
        var s = tensor(new[] { 0.9, 0.3, -0.2 }, new long[] { 1, 3 }, ScalarType.Float64);
        double expected = -Math.Log(Math.Exp(5.5) / (Math.Exp(5.5) + Math.Exp(3) + Math.Exp(-2)));
        var loss = new CosFaceLoss(new CosFaceOptions { Scale = 10, Margin = 0.35 }).Compute(s, tensor(new long[] { 0 }));
        Assert.Equal(expected, loss.TotalValue, 14);
        // A larger margin penalises the same similarities more.
        Assert.True(new CosFaceLoss(new CosFaceOptions { Scale = 10, Margin = 0.5 }).Compute(s, tensor(new long[] { 0 })).TotalValue > expected);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-11)]
    [InlineData(ScalarType.Float32, 1e-4)]
    public void On_the_cosine_head_it_scores_cosines_to_normalized_proxies(ScalarType dtype, double rtol)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(52);
        var x = PlainMath.Random2D(rng, 9, 6, scale: 3);
        var proxies = PlainMath.Random2D(rng, 4, 6, scale: 0.2);
        long[] y = [0, 1, 2, 3, 0, 1, 2, 3, 3];
        var (expected, _) = PlainMath.MarginSoftmax(PlainMath.Cosines(x, proxies), y, 64, 0.35);
        var objective = new ProxyObjective(new ProxySimilarity(PlainMath.ToTensor(proxies, dtype)), new CosFaceLoss());
        double actual = objective.call(PlainMath.ToTensor(x, dtype), tensor(y), ObjectiveStep.First).TotalValue;
        Assert.True(Math.Abs(actual - expected) <= rtol * Math.Abs(expected), $"{actual:R} vs formula {expected:R}");
    }

    [Fact]
    public void Defaults_registration_and_bad_options()
    {
        Assert.Equal((0.35, 64.0), (new CosFaceOptions().Margin, new CosFaceOptions().Scale));
        var entry = LossRegistry.Default.Get("cosFace");
        Assert.Same(CosFaceLoss.Registration, entry);
        Assert.IsType<CosFaceLoss>(entry.Build(entry.DefaultOptions));
        Assert.Equal(new ProxyHeadDefaults(ProxyInit.StandardNormal), entry.Head(entry.DefaultOptions));
        Assert.False(entry.NeedsConfidences);
        Assert.Equal(("CosFace", "CP+CosFace"), (entry.DisplayName, entry.CalibrateProxyName));
        foreach (var s in new[] { 0.0, -64, double.NaN })
            Assert.Equal("Scale", Assert.ThrowsAny<ArgumentException>(() => new CosFaceLoss(new CosFaceOptions { Scale = s })).ParamName);
        foreach (var m in new[] { -0.1, double.PositiveInfinity })
            Assert.Equal("Margin", Assert.ThrowsAny<ArgumentException>(() => new CosFaceLoss(new CosFaceOptions { Margin = m })).ParamName);
    }
}
