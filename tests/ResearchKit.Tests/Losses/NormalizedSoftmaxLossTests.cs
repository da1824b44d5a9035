using ResearchKit.Losses;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// Normalized Softmax against its formula computed independently with plain doubles (<see cref="PlainMath"/>: cosines to
/// normalised proxies, log-sum-exp of S/T minus the target), in float64 and float32, for the value and the gradient of S.
/// </summary>
public class NormalizedSoftmaxLossTests
{
    // loss = mean_i [ log Σ_c exp(S_ic / T) − S_iy / T ]: the margin softmax with scale 1/T and no margin.
    private static (double Loss, double[,] Grad) Reference(double[,] s, long[] y, double t) => PlainMath.MarginSoftmax(s, y, 1 / t, 0);

    [Theory]
    [InlineData(ScalarType.Float64, 0.05, 1e-12)]
    [InlineData(ScalarType.Float64, 0.5, 1e-12)]
    [InlineData(ScalarType.Float64, 2.0, 1e-12)]
    [InlineData(ScalarType.Float32, 0.05, 2e-5)]
    [InlineData(ScalarType.Float32, 1.0, 2e-5)]
    public void Value_and_gradient_match_the_formula(ScalarType dtype, double temperature, double rtol)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(41);
        const int n = 7, c = 5;
        var s = PlainMath.Random2D(rng, n, c);
        long[] y = [0, 1, 2, 3, 4, 0, 2];
        var (expected, expectedGrad) = Reference(s, y, temperature);

        var st = PlainMath.ToTensor(s, dtype).requires_grad_(true);
        var output = new NormalizedSoftmaxLoss(new NormalizedSoftmaxOptions { Temperature = temperature }).Compute(st, tensor(y));
        output.Total.backward();
        Assert.Equal(dtype, output.Total.dtype);
        PlainMath.AssertMatches(output, st, (expected, expectedGrad), rtol);
        Assert.Equal(output.TotalValue, output.Parts[LossParts.CrossEntropy].to_type(ScalarType.Float64).item<double>());
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-11)]
    [InlineData(ScalarType.Float32, 3e-5)]
    public void On_the_cosine_head_it_is_cross_entropy_of_cosines_to_normalized_proxies_over_the_temperature(ScalarType dtype, double rtol)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(42);
        var x = PlainMath.Random2D(rng, 9, 6, scale: 3);
        var proxies = PlainMath.Random2D(rng, 4, 6, scale: 0.2);   // the proxies' norm must not matter
        long[] y = [0, 1, 2, 3, 0, 1, 2, 3, 3];
        var (expected, _) = Reference(PlainMath.Cosines(x, proxies), y, 0.05);
        var objective = new ProxyObjective(new ProxySimilarity(PlainMath.ToTensor(proxies, dtype)), new NormalizedSoftmaxLoss());
        double actual = objective.call(PlainMath.ToTensor(x, dtype), tensor(y), ObjectiveStep.First).TotalValue;
        Assert.True(Math.Abs(actual - expected) <= rtol * Math.Abs(expected), $"{actual:R} vs formula {expected:R}");
    }

    [Fact]
    public void Defaults_registration_and_bad_options()
    {
        Assert.Equal(0.05, new NormalizedSoftmaxOptions().Temperature);
        var entry = LossRegistry.Default.Get("normalizedSoftmax");
        Assert.Same(NormalizedSoftmaxLoss.Registration, entry);
        Assert.IsType<NormalizedSoftmaxLoss>(entry.Build(entry.DefaultOptions));
        Assert.Equal((ProxyInit.StandardNormal, (int?)null, (double?)null), (entry.Head(entry.DefaultOptions).Init, entry.Head(entry.DefaultOptions).ProxiesPerClass, entry.Head(entry.DefaultOptions).Temperature));
        Assert.False(entry.NeedsConfidences);
        Assert.Equal("CP+NormSoftmax", entry.CalibrateProxyName);
        foreach (var t in new[] { 0.0, -0.05, double.NaN, double.PositiveInfinity })
            Assert.Equal("Temperature", Assert.ThrowsAny<ArgumentException>(() => new NormalizedSoftmaxLoss(new NormalizedSoftmaxOptions { Temperature = t })).ParamName);
    }
}
