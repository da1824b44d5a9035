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
        var output = objective.call(x, GoldenJson.Labels(c.Inputs.GetProperty("labels")), ObjectiveStep.First);
        output.Total.backward();

        var e = c.Expected;
        GoldenAssert.Scalar(output.TotalValue, e.GetProperty("loss").GetDouble(), dtype, "loss");
        GoldenAssert.Scalar(output.Parts[LossParts.Regularizer].to_type(ScalarType.Float64).item<double>(),
            e.GetProperty("softtriple_regularizer").GetDouble(), dtype, "regularizer");
        GoldenAssert.Close(x.grad!, e.GetProperty("grad_embeddings"), dtype, "grad_embeddings");
        GoldenAssert.Close(head.Proxies.grad!, e.GetProperty("grad_proxies"), dtype, "grad_proxies");
        Assert.Same(head.Proxies, objective.ProxyParameters().Single());
    }

    // A regulariser needs proxies: ProxyObjective takes a ProxySimilarity head, so a CalibratedSimilarity cannot be passed
    // (a compile-time check now; the former run-time test of that is gone).
    [Fact]
    public void The_one_step_call_passes_confidences_only_to_a_loss_that_takes_them_and_rejects_a_negative_epoch()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 5);
        var y = tensor(new long[] { 0, 1, 2, 0 });
        var conf = full(4, 3, 0.9f);
        var plain = new ProxyObjective(new ProxySimilarity(3, 5), new ProxyAnchorLoss());
        Assert.Equal("confidences", Assert.ThrowsAny<ArgumentException>(() => plain.call(x, y, new ObjectiveStep(0, conf))).ParamName);
        Assert.Equal("epoch", Assert.ThrowsAny<ArgumentException>(() => plain.call(x, y, new ObjectiveStep(-1))).ParamName);
        var smooth = new ProxyObjective(new ProxySimilarity(3, 5), new SmoothProxyAnchorLoss());
        var withConf = smooth.call(x, y, new ObjectiveStep(0, conf)).TotalValue;
        var oneHot = smooth.call(x, y, ObjectiveStep.First).TotalValue;   // without confidences: the one-hot labels
        Assert.NotEqual(oneHot, withConf);
        Assert.Equal(new SmoothProxyAnchorLoss().Compute(smooth.Head.call(x), y, conf).TotalValue, withConf);
    }
}
