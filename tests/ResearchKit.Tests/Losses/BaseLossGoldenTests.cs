using ResearchKit.Losses;
using ResearchKit.Similarity;
using ResearchKit.Tests.Golden;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>Proxy Anchor, Proxy-NCA and SoftTriple against PML's golden values (head + loss), in float64 and float32.</summary>
public class BaseLossGoldenTests
{
    public static TheoryData<string, string> ProxyAnchorCases => GoldenData.CaseNamesByDtype("proxy_anchor_loss.json");
    public static TheoryData<string, string> ProxyNcaCases => GoldenData.CaseNamesByDtype("proxy_nca_loss.json");
    public static TheoryData<string, string> SoftTripleCases => GoldenData.CaseNamesByDtype("soft_triple_loss.json");

    [Theory]
    [MemberData(nameof(ProxyAnchorCases))]
    public void Proxy_anchor_matches_golden(string name, string dtypeName)
    {
        var dtype = GoldenData.ParseDtype(dtypeName);
        var c = GoldenData.Load("proxy_anchor_loss.json").Case(name);
        using var scope = NewDisposeScope();
        var x = GoldenJson.Tensor(c.Inputs.GetProperty("embeddings"), dtype).requires_grad_(true);
        var y = GoldenJson.Labels(c.Inputs.GetProperty("labels"));
        var head = new ProxySimilarity(GoldenJson.Tensor(c.Inputs.GetProperty("proxies"), dtype));
        var loss = new ProxyAnchorLoss(new ProxyAnchorOptions { Alpha = c.HDouble("alpha"), Margin = c.HDouble("margin") });

        var output = loss.Compute(head.call(x), y);
        output.Total.backward();

        var e = c.Expected;
        GoldenAssert.Scalar(output.TotalValue, e.GetProperty("loss").GetDouble(), dtype, "loss");
        GoldenAssert.Scalar(Item(output.Parts[LossParts.ProxyPositive]), e.GetProperty("pos_term").GetDouble(), dtype, "pos_term");
        GoldenAssert.Scalar(Item(output.Parts[LossParts.ProxyNegative]), e.GetProperty("neg_term").GetDouble(), dtype, "neg_term");
        GoldenAssert.CloseLogTerms(output.Diagnostics[LossDiagnostics.PositivePerClass], e.GetProperty("pos_per_proxy"), dtype, "pos_per_proxy");
        GoldenAssert.CloseLogTerms(output.Diagnostics[LossDiagnostics.NegativePerClass], e.GetProperty("neg_per_proxy"), dtype, "neg_per_proxy");
        GoldenAssert.Exact(output.Diagnostics[LossDiagnostics.PositiveDivisor], e.GetProperty("pos_divisor"), "pos_divisor");
        GoldenAssert.Exact(output.Diagnostics[LossDiagnostics.NegativeDivisor], e.GetProperty("neg_divisor"), "neg_divisor");
        GoldenAssert.Close(x.grad!, e.GetProperty("grad_embeddings"), dtype, "grad_embeddings");
        GoldenAssert.Close(head.Proxies.grad!, e.GetProperty("grad_proxies"), dtype, "grad_proxies");
    }

    [Theory]
    [MemberData(nameof(ProxyNcaCases))]
    public void Proxy_nca_pml_form_matches_golden(string name, string dtypeName)
    {
        var dtype = GoldenData.ParseDtype(dtypeName);
        var c = GoldenData.Load("proxy_nca_loss.json").Case(name);
        using var scope = NewDisposeScope();
        var x = GoldenJson.Tensor(c.Inputs.GetProperty("embeddings"), dtype).requires_grad_(true);
        var y = GoldenJson.Labels(c.Inputs.GetProperty("labels"));
        var head = new ProxySimilarity(GoldenJson.Tensor(c.Inputs.GetProperty("proxies"), dtype));
        var loss = ProxyNcaLoss.Pml(c.HDouble("softmax_scale"));

        var output = loss.Compute(head.call(x), y);
        output.Total.backward();

        var e = c.Expected;
        GoldenAssert.Scalar(output.TotalValue, e.GetProperty("loss").GetDouble(), dtype, "loss");
        GoldenAssert.Close(output.Diagnostics[LossDiagnostics.PerSampleLoss], e.GetProperty("per_sample_loss"), dtype, "per_sample_loss");
        GoldenAssert.Close(x.grad!, e.GetProperty("grad_embeddings"), dtype, "grad_embeddings");
        GoldenAssert.Close(head.Proxies.grad!, e.GetProperty("grad_proxies"), dtype, "grad_proxies");
    }

    [Theory]
    [MemberData(nameof(SoftTripleCases))]
    public void Soft_triple_matches_golden(string name, string dtypeName)
    {
        var dtype = GoldenData.ParseDtype(dtypeName);
        var c = GoldenData.Load("soft_triple_loss.json").Case(name);
        using var scope = NewDisposeScope();
        var x = GoldenJson.Tensor(c.Inputs.GetProperty("embeddings"), dtype).requires_grad_(true);
        var y = GoldenJson.Labels(c.Inputs.GetProperty("labels"));
        var options = new SoftTripleOptions
        {
            La = c.HDouble("la"), Gamma = c.HDouble("gamma"), Margin = c.HDouble("margin"), CentersPerClass = c.HInt("centers_per_class"),
        };
        var head = new ProxySimilarity(GoldenJson.Tensor(c.Inputs.GetProperty("centers"), dtype), options.CentersPerClass, options.Gamma);
        var loss = new SoftTripleLoss(options);

        var s = head.call(x);
        var output = loss.Compute(s, y);
        output.Total.backward();

        var e = c.Expected;
        GoldenAssert.Scalar(output.TotalValue, e.GetProperty("loss").GetDouble(), dtype, "loss");
        GoldenAssert.Close(s, e.GetProperty("class_similarity"), dtype, "class_similarity");
        GoldenAssert.Close(output.Diagnostics[LossDiagnostics.PerSampleLoss], e.GetProperty("per_sample_loss"), dtype, "per_sample_loss");
        GoldenAssert.Close(x.grad!, e.GetProperty("grad_embeddings"), dtype, "grad_embeddings");
        GoldenAssert.Close(head.Proxies.grad!, e.GetProperty("grad_centers"), dtype, "grad_centers");
    }

    // Scalar parts use the README's scalar tolerance: a term like log(1 + 5.6e-12) is computed with log1p here, while the
    // float64 reference's logsumexp rounds 1 + 5.6e-12 (a 1e-5 relative difference on a 1e-12 value).
    private static double Item(Tensor t) => t.to_type(ScalarType.Float64).item<double>();
}
