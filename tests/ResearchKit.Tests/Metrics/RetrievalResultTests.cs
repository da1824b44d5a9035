using ResearchKit.Metrics;

namespace ResearchKit.Tests.Metrics;

/// <summary>Printing and JSON of the result type.</summary>
public class RetrievalResultTests
{
    private static RetrievalResult Sample(double? nmi = 0.875) => new()
    {
        PrecisionAt1 = 0.55, RPrecision = 0.4357142857142857, MapAtR = 0.30424935137813924,
        RecallAt = new Dictionary<int, double> { [8] = 0.975, [1] = 0.55, [2] = 0.75 },
        Nmi = nmi, QueryCount = 40, ScoredQueryCount = 38, ReferenceCount = 40, QueryIsReference = true,
    };

    [Fact]
    public void Prints_one_readable_line()
    {
        var text = Sample().ToString();
        Assert.Equal("R@1 55.00  R@2 75.00  R@8 97.50  P@1 55.00  R-Prec 43.57  MAP@R 30.42  NMI 87.50  (40 queries, 2 lone, 40 references, same set)", text);
        Assert.DoesNotContain("NMI", Sample(nmi: null).ToString());
    }

    [Fact]
    public void Json_uses_pml_names_and_round_trips()
    {
        var json = Sample().ToJson();
        Assert.Contains("\"precision_at_1\":0.55", json);
        Assert.Contains("\"mean_average_precision_at_r\":", json);
        Assert.Contains("\"recall_at_k\":{\"1\":0.55,\"2\":0.75,\"8\":0.975}", json);
        Assert.Equal(Sample(), RetrievalResult.FromJson(json));
        var allLone = Sample(nmi: null) with { PrecisionAt1 = double.NaN, RPrecision = double.NaN, MapAtR = double.NaN, ScoredQueryCount = 0 };
        var back = RetrievalResult.FromJson(allLone.ToJson(indented: true));
        Assert.Equal(allLone, back);
        Assert.True(double.IsNaN(back.MapAtR));
        Assert.NotEqual(Sample(), allLone);
    }

    [Fact]
    public void Bad_json_is_an_argument_error()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => RetrievalResult.FromJson("{\"precision_at_1\": 1}"));
        Assert.Equal("json", e.ParamName);
    }
}
