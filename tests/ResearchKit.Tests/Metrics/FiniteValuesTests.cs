using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>
/// The evaluator's finiteness check (<see cref="FiniteValues.All"/>): NaN, +inf and -inf at every position of a
/// length that has a SIMD body and a scalar tail, in float32 and float64, on the host path and through libtorch
/// (a transposed view is not contiguous).
/// </summary>
public class FiniteValuesTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Finds_every_non_finite_value_wherever_it_is(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(new long[] { 3, 13 }, generator: new Generator(1)).to_type(dtype);
        Assert.True(FiniteValues.All(x));
        Assert.True(FiniteValues.All(x.t()));
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            for (long i = 0; i < x.NumberOfElements; i++)
            {
                var y = x.clone();
                y.view(-1)[i] = torch.tensor(bad, dtype);
                Assert.False(FiniteValues.All(y), $"{bad} at {i}");
                Assert.False(FiniteValues.All(y.t()), $"{bad} at {i}, transposed");
            }
    }

    [Fact]
    public void Large_finite_values_are_finite()
    {
        using var scope = torch.NewDisposeScope();
        Assert.True(FiniteValues.All(torch.full(new long[] { 4, 9 }, float.MaxValue)));
        Assert.True(FiniteValues.All(torch.full(new long[] { 4, 9 }, -double.MaxValue, ScalarType.Float64)));
    }
}
