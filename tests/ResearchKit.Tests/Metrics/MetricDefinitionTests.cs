using System.Text.Json;
using ResearchKit.Metrics;

namespace ResearchKit.Tests.Metrics;

/// <summary>The retrieval metrics' definitions: keys, labels, scale, reading a result, and the JSON form inside other documents.</summary>
public class MetricDefinitionTests
{
    private static RetrievalResult Sample(double? nmi = 0.875) => new()
    {
        PrecisionAt1 = 0.55, RPrecision = 0.4357142857142857, MapAtR = 0.30424935137813924,
        RecallAt = new Dictionary<int, double> { [8] = 0.975, [1] = 0.55, [2] = 0.75 },
        Nmi = nmi, QueryCount = 40, ScoredQueryCount = 38, ReferenceCount = 40, QueryIsReference = true,
    };

    [Fact]
    public void A_result_lists_its_metrics_in_display_order_with_pml_keys_and_short_labels()
    {
        var values = RetrievalMetrics.Values(Sample());
        Assert.Equal(["recall_at_1", "recall_at_2", "recall_at_8", "precision_at_1", "r_precision", "mean_average_precision_at_r", "NMI"],
            values.Select(v => v.Metric.Key));
        Assert.Equal(["R@1", "R@2", "R@8", "P@1", "R-Prec", "MAP@R", "NMI"], values.Select(v => v.Metric.Label));
        Assert.Equal([0.55, 0.75, 0.975, 0.55, 0.4357142857142857, 0.30424935137813924, 0.875], values.Select(v => v.Value));
        Assert.All(values, v => Assert.True(v.Metric.IsPercent && v.Metric.HigherIsBetter));
        Assert.DoesNotContain(RetrievalMetrics.Nmi, RetrievalMetrics.Values(Sample(nmi: null)).Select(v => v.Metric));
    }

    [Fact]
    public void Reading_a_metric_the_result_lacks_gives_null()
    {
        Assert.Equal(0.975, RetrievalMetrics.Read(Sample(), RetrievalMetrics.RecallAt(8)));
        Assert.Null(RetrievalMetrics.Read(Sample(), RetrievalMetrics.RecallAt(4)));
        Assert.Null(RetrievalMetrics.Read(Sample(nmi: null), RetrievalMetrics.Nmi));
        Assert.Null(RetrievalMetrics.Read(Sample(), new MetricDefinition("deviation", "deviation", 1, false, 4)));
    }

    [Theory]
    [InlineData("recall_at_16", "R@16")]
    [InlineData("mean_average_precision_at_r", "MAP@R")]
    [InlineData("NMI", "NMI")]
    [InlineData("recall_at_0", null)]
    [InlineData("recall_at_x", null)]
    [InlineData("recall_at_-1", null)]
    [InlineData("nmi", null)]
    public void Keys_resolve_to_definitions(string key, string? label) => Assert.Equal(label, RetrievalMetrics.Find(key)?.Label);

    [Fact]
    public void A_definition_is_its_key_and_formats_shown_values_with_its_decimals()
    {
        Assert.Same(RetrievalMetrics.RecallAt(4), RetrievalMetrics.RecallAt(4));
        Assert.Equal(RetrievalMetrics.RecallAt(4), new MetricDefinition("recall_at_4", "other label", 1, false, 0));
        Assert.Equal("recall_at_4", RetrievalMetrics.RecallAt(4).ToString());
        Assert.Equal("R@4 (%)", RetrievalMetrics.RecallAt(4).Header);
        Assert.Equal(61.25, RetrievalMetrics.MapAtR.Shown(0.6125), 12);
        Assert.Equal("61.3 ± 0.4", RetrievalMetrics.MapAtR.FormatMeanSd(61.26, 0.42));
        var raw = new MetricDefinition("deviation", "deviation", 1, false, 4);
        Assert.Equal("deviation", raw.Header);
        Assert.Equal("0.1235", raw.Format(0.12345));
        Assert.Equal("–", raw.Format(null));
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalMetrics.RecallAt(0)).ParamName);
    }

    [Fact]
    public void Inside_another_document_a_result_keeps_its_own_json_form()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        var json = JsonSerializer.Serialize(new Holder(Sample()), options);
        Assert.Contains("\"result\":{\"precision_at_1\":0.55", json);
        Assert.Equal(Sample(), JsonSerializer.Deserialize<Holder>(json, options)!.Result);
        var bad = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Holder>("{\"result\":{\"precision_at_1\":1}}", options));
        Assert.Contains("expected a JSON object written by RetrievalResult.ToJson", bad.Message);
    }

    private sealed record Holder(RetrievalResult Result);
}
