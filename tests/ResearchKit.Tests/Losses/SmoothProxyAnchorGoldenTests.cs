using ResearchKit.Losses;
using ResearchKit.Similarity;
using ResearchKit.Tests.Golden;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>Smooth Proxy-Anchor (reconstruction) against smooth_proxy_anchor.json, in float64 and float32.</summary>
public class SmoothProxyAnchorGoldenTests
{
    public static TheoryData<string, string> Cases => GoldenData.CaseNamesByDtype("smooth_proxy_anchor.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Smooth_proxy_anchor_matches_golden(string name, string dtypeName)
    {
        var dtype = GoldenData.ParseDtype(dtypeName);
        var c = GoldenData.Load("smooth_proxy_anchor.json").Case(name);
        Assert.Equal("clamp", c.HString("normalize"));
        using var scope = NewDisposeScope();
        var x = GoldenJson.Tensor(c.Inputs.GetProperty("embeddings"), dtype).requires_grad_(true);
        var y = GoldenJson.Labels(c.Inputs.GetProperty("labels"));
        var confidences = GoldenJson.Tensor(c.Inputs.GetProperty("confidences"), dtype);
        var head = new ProxySimilarity(GoldenJson.Tensor(c.Inputs.GetProperty("proxies"), dtype));
        var loss = new SmoothProxyAnchorLoss(new SmoothProxyAnchorOptions
        {
            Alpha = c.HDouble("alpha"), Delta = c.HDouble("delta"), Mu = c.HDouble("mu"), Beta = c.HDouble("beta"),
            Theta = c.HDouble("theta"),
            PositiveRule = c.HString("positive_rule") switch
            {
                "confidence" => PositiveRule.Confidence,
                "label_and_confidence" => PositiveRule.LabelAndConfidence,
                var other => throw new InvalidOperationException(other),
            },
        });

        var s = head.call(x);
        var output = loss.Compute(s, y, confidences);
        output.Total.backward();

        var e = c.Expected;
        GoldenAssert.Scalar(output.TotalValue, e.GetProperty("loss").GetDouble(), dtype, "loss");
        GoldenAssert.Close(s, e.GetProperty("similarity"), dtype, "similarity");
        GoldenAssert.Scalar(Item(output.Parts[LossParts.ProxyPositive]), e.GetProperty("pos_term").GetDouble(), dtype, "pos_term");
        GoldenAssert.Scalar(Item(output.Parts[LossParts.ProxyNegative]), e.GetProperty("neg_term").GetDouble(), dtype, "neg_term");
        GoldenAssert.CloseLogTerms(output.Diagnostics[LossDiagnostics.PositivePerClass], e.GetProperty("pos_per_class"), dtype, "pos_per_class");
        GoldenAssert.CloseLogTerms(output.Diagnostics[LossDiagnostics.NegativePerClass], e.GetProperty("neg_per_class"), dtype, "neg_per_class");
        GoldenAssert.Exact(output.Diagnostics[LossDiagnostics.PositiveDivisor], e.GetProperty("pos_divisor"), "pos_divisor");
        GoldenAssert.Exact(output.Diagnostics[LossDiagnostics.NegativeDivisor], e.GetProperty("neg_divisor"), "neg_divisor");
        GoldenAssert.Exact(output.Diagnostics[LossDiagnostics.PositiveMask], e.GetProperty("positive_mask"), "positive_mask");
        GoldenAssert.Close(output.Diagnostics[LossDiagnostics.Sigma], e.GetProperty("sigma"), dtype, "sigma");
        GoldenAssert.Close(x.grad!, e.GetProperty("grad_embeddings"), dtype, "grad_embeddings");
        GoldenAssert.Close(head.Proxies.grad!, e.GetProperty("grad_proxies"), dtype, "grad_proxies");
    }

    // Scalar parts use the README's scalar tolerance: a term like log(1 + 5.6e-12) is computed with log1p here, while the
    // float64 reference's logsumexp rounds 1 + 5.6e-12 (a 1e-5 relative difference on a 1e-12 value).
    private static double Item(Tensor t) => t.to_type(ScalarType.Float64).item<double>();
}
