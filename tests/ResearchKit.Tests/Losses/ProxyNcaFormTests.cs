using ResearchKit.Losses;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// The two Proxy-NCA forms that have no golden file (the golden file covers PML's): the original paper's (positive excluded,
/// exp(−d)) and ProxyNCA++ (scaled squared distances, positive included), each against its own formula written on squared
/// Euclidean distances (losses.md §2.1, §2.4), independent of the cosine rewrite the loss uses.
/// </summary>
public class ProxyNcaFormTests
{
    private static (Tensor X, Tensor P, Tensor Labels) Inputs(int seed, ScalarType dtype)
    {
        var g = new Generator((ulong)seed);
        var x = randn(new long[] { 12, 6 }, dtype: dtype, generator: g) * 3;   // raw scale: both forms normalise first
        var p = randn(new long[] { 5, 6 }, dtype: dtype, generator: g);
        var labels = randint(5, new long[] { 12 }, generator: g);
        return (x, p, labels);
    }

    /// <summary>Squared distances between the L2-normalised rows, by cdist (not by 2 − 2·cos).</summary>
    private static Tensor SquaredDistances(Tensor x, Tensor p, double scale = 1) =>
        cdist(nn.functional.normalize(x, dim: 1) * scale, nn.functional.normalize(p, dim: 1) * scale).pow(2);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Original_form_is_the_papers_formula_with_the_positive_excluded(int seed)
    {
        using var scope = NewDisposeScope();
        var (x, p, labels) = Inputs(seed, ScalarType.Float64);
        var d = SquaredDistances(x, p);
        var positive = nn.functional.one_hot(labels, 5).to_type(ScalarType.Bool);
        // ℓ_i = −log(exp(−d_iy) / Σ_{z≠y} exp(−d_iz)) = d_iy + logsumexp_{z≠y}(−d_iz)
        var expected = (d.gather(1, labels.unsqueeze(1)).squeeze(1)
                        + (-d).masked_fill(positive, double.NegativeInfinity).logsumexp(1)).mean().item<double>();

        var head = new ProxySimilarity(p.clone(), 1, 1.0);
        double actual = ProxyNcaLoss.Original().Compute(head.call(x), labels).TotalValue;
        Assert.Equal(expected, actual, 1e-12);
    }

    [Theory]
    [InlineData(0, 1.0 / 9)]
    [InlineData(1, 1.0 / 9)]
    [InlineData(2, 0.5)]
    public void Plus_plus_form_is_softmax_cross_entropy_on_scaled_squared_distances(int seed, double temperature)
    {
        using var scope = NewDisposeScope();
        var (x, p, labels) = Inputs(seed, ScalarType.Float64);
        var d = SquaredDistances(x, p, Math.Sqrt(1 / temperature));   // X = sqrt(1/T)·x̂, P = sqrt(1/T)·p̂
        var expected = nn.functional.cross_entropy(-d, labels).item<double>();

        var head = new ProxySimilarity(p.clone(), 1, 1.0);
        double actual = ProxyNcaLoss.NcaPlusPlus(temperature).Compute(head.call(x), labels).TotalValue;
        Assert.Equal(expected, actual, 1e-12);
    }

    [Fact]
    public void Excluding_the_positive_differs_from_including_it_by_the_log_of_the_positive_share()
    {
        // With the positive in the denominator: ℓ⁺ = −log(e^a / (e^a + B)); without: ℓ⁻ = −log(e^a / B). So
        // ℓ⁺ − ℓ⁻ = log((e^a + B) / B) > 0 per sample: the two options are not silently the same code path.
        using var scope = NewDisposeScope();
        var (x, p, labels) = Inputs(3, ScalarType.Float64);
        var s = new ProxySimilarity(p.clone(), 1, 1.0).call(x);
        var with = new ProxyNcaLoss(new ProxyNcaOptions { Scale = 4, IncludePositive = true }).Compute(s, labels);
        var without = new ProxyNcaLoss(new ProxyNcaOptions { Scale = 4, IncludePositive = false }).Compute(s, labels);
        var logits = s * 4;
        var positive = nn.functional.one_hot(labels, 5).to_type(ScalarType.Bool);
        var a = logits.gather(1, labels.unsqueeze(1)).squeeze(1);
        var logB = logits.masked_fill(positive, double.NegativeInfinity).logsumexp(1);
        var expectedGap = (stack(new[] { a, logB }).logsumexp(0) - logB).mean().item<double>();
        Assert.Equal(expectedGap, with.TotalValue - without.TotalValue, 1e-12);
        Assert.True(expectedGap > 0);
    }
}
