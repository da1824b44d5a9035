using ResearchKit.Losses;
using ResearchKit.Similarity;
using ResearchKit.Tests.Golden;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>The plain objective (head + loss + regulariser) without the CP structure.</summary>
public class ProxyObjectiveTests
{
    [Theory]
    [InlineData("float64")]
    [InlineData("float32")]
    public void Soft_triple_with_its_regularizer_matches_the_spec_value(string dtypeName)
    {
        // losses.md 3.3 (cp_loss.json spec_3_3_softtriple_k2_inactive): L = CE + 0.2 R, queue unused.
        var dtype = GoldenData.ParseDtype(dtypeName);
        var c = GoldenData.Load("cp_loss.json").Case("spec_3_3_softtriple_k2_inactive");
        using var scope = NewDisposeScope();
        var options = new SoftTripleOptions
        {
            La = c.HDouble("softtriple_la"), Gamma = c.HDouble("softtriple_gamma"), Margin = c.HDouble("softtriple_margin"),
            Tau = c.HDouble("softtriple_tau"), CentersPerClass = c.HInt("K"),
        };
        var head = new ProxySimilarity(GoldenJson.Tensor(c.Inputs.GetProperty("proxies"), dtype), options.CentersPerClass, options.Gamma);
        var objective = new ProxyObjective(head, new SoftTripleLoss(options), options.CreateRegularizer());
        var x = GoldenJson.Tensor(c.Inputs.GetProperty("embeddings"), dtype).requires_grad_(true);
        var output = objective.Compute(x, GoldenJson.Labels(c.Inputs.GetProperty("labels")));
        output.Total.backward();

        var e = c.Expected;
        GoldenAssert.Scalar(output.TotalValue, e.GetProperty("loss").GetDouble(), dtype, "loss");
        GoldenAssert.Scalar(output.Parts[LossParts.Regularizer].to_type(ScalarType.Float64).item<double>(),
            e.GetProperty("softtriple_regularizer").GetDouble(), dtype, "regularizer");
        GoldenAssert.Close(x.grad!, e.GetProperty("grad_embeddings"), dtype, "grad_embeddings");
        GoldenAssert.Close(head.Proxies.grad!, e.GetProperty("grad_proxies"), dtype, "grad_proxies");
        Assert.Same(head.Proxies, objective.ProxyParameters().Single());
    }

    [Fact]
    public void A_regularizer_needs_a_proxy_head()
    {
        using var scope = NewDisposeScope();
        var calibrated = new CalibratedSimilarity(new ProxySimilarity(3, 4, 2), new ResearchKit.Memory.GlobalCenter(3, 2, 4));
        Assert.Equal("regularizer", Assert.ThrowsAny<ArgumentException>(() =>
            new ProxyObjective(calibrated, new SoftTripleLoss(), new SoftTripleRegularizer())).ParamName);
    }
}
