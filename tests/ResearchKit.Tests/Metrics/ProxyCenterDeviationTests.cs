using ResearchKit.Metrics;
using ResearchKit.Tests.Golden;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>Eq. 10 deviation (reconstruction) against deviation.json, in float64 and float32.</summary>
public class ProxyCenterDeviationTests
{
    public static TheoryData<string, string> Cases => GoldenData.CaseNamesByDtype("deviation.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Deviation_matches_golden(string name, string dtypeName)
    {
        var dtype = GoldenData.ParseDtype(dtypeName);
        var c = GoldenData.Load("deviation.json").Case(name);
        using var scope = NewDisposeScope();
        var result = ProxyCenterDeviation.Compute(
            GoldenJson.Tensor(c.Inputs.GetProperty("embeddings"), dtype), GoldenJson.Labels(c.Inputs.GetProperty("labels")),
            GoldenJson.Tensor(c.Inputs.GetProperty("proxies"), dtype), c.HInt("K"));
        var e = c.Expected;
        GoldenAssert.Scalar(result.Primary, e.GetProperty("deviation_primary").GetDouble(), dtype, "deviation_primary");
        GoldenAssert.Scalar(result.Pairwise, e.GetProperty("deviation_pairwise").GetDouble(), dtype, "deviation_pairwise");
        Assert.Equal(GoldenJson.Longs(e.GetProperty("classes_included")), result.ClassesIncluded);
        Assert.Equal(GoldenJson.Longs(e.GetProperty("class_counts")), result.ClassCounts);
        GoldenAssert.Close(tensor(result.PerClassPrimary), e.GetProperty("per_class_primary"), dtype, "per_class_primary");
        GoldenAssert.Close(tensor(result.PerClassPairwise), e.GetProperty("per_class_pairwise"), dtype, "per_class_pairwise");
    }

    [Fact]
    public void Bad_input_throws_argument_exceptions_naming_the_argument()
    {
        using var scope = NewDisposeScope();
        var e = randn(6, 4);
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        Assert.Equal("proxies", Assert.ThrowsAny<ArgumentException>(() => ProxyCenterDeviation.Compute(e, y, randn(7, 4), 2)).ParamName);
        Assert.Equal("embeddings", Assert.ThrowsAny<ArgumentException>(() => ProxyCenterDeviation.Compute(randn(6, 5), y, randn(6, 4), 2)).ParamName);
        Assert.Equal("labels", Assert.ThrowsAny<ArgumentException>(() => ProxyCenterDeviation.Compute(e, y + 1, randn(6, 4), 2)).ParamName);
        Assert.Equal("proxiesPerClass", Assert.ThrowsAny<ArgumentException>(() => ProxyCenterDeviation.Compute(e, y, randn(6, 4), 0)).ParamName);
    }
}
