using ResearchKit.Losses;
using ResearchKit.Memory;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// The contract every registered loss meets, over <see cref="RegisteredLosses"/> (gradients: <see cref="GradientCheckTests"/>;
/// permutation and scale invariance: <c>LossPropertyTests</c>; bad similarities and labels: <see cref="BadInputTests"/>):
/// bad objective input is rejected naming the argument, and the loss composes with the CP structure.
/// </summary>
public class LossContractTests
{
    private const int C = 4, D = 6;

    public static TheoryData<string> Losses => RegisteredLosses.Ids;

    private static string? Param(Action action) => Assert.ThrowsAny<ArgumentException>(action).ParamName;

    [Theory]
    [MemberData(nameof(Losses))]
    public void Objectives_reject_bad_batches_naming_the_argument(string lossCase)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(31);
        var loss = RegisteredLosses.Cases[lossCase];
        var x = randn(new long[] { 5, D }, ScalarType.Float64, generator: g);
        var y = tensor(new long[] { 0, 1, 2, 3, 0 });
        var conf = loss.Confidences(5, C, g);
        var plain = loss.Plain(loss.Head(C, D, 2, g));
        var cp = loss.Cp(loss.Head(C, D, 2, g), new CalibrateProxyOptions { QueuePerClass = 2, StartEpoch = 0 });
        foreach (var objective in new ProxyObjectiveModule[] { plain, cp })
        {
            LossOutput Call(Tensor xx, Tensor yy, Tensor? cc = null, int epoch = 0) => objective.call(xx, yy, new ObjectiveStep(epoch, cc));
            var bad = x.clone();
            bad[1, 2] = tensor(double.NaN);
            Assert.Equal("embeddings", Param(() => Call(bad, y, conf)));
            bad[1, 2] = tensor(double.PositiveInfinity);
            Assert.Equal("embeddings", Param(() => Call(bad, y, conf)));
            Assert.Equal("embeddings", Param(() => Call(randn(new long[] { 5, D + 1 }, ScalarType.Float64), y, conf)));   // wrong D
            Assert.Equal("embeddings", Param(() => Call(x.view(-1), y, conf)));                                               // rank 1
            Assert.Equal("embeddings", Param(() => Call(zeros(new long[] { 0, D }, ScalarType.Float64), tensor(Array.Empty<long>()))));   // empty batch
            Assert.Equal("labels", Param(() => Call(x, y + 1, conf)));                  // label C is out of range
            Assert.Equal("labels", Param(() => Call(x, y - 1, conf)));                  // label -1
            Assert.Equal("labels", Param(() => Call(x, y[..3], conf)));                 // wrong length
            Assert.Equal("epoch", Param(() => Call(x, y, conf, epoch: -1)));
            // Confidences of the wrong shape, or confidences for a loss that takes none.
            Assert.Equal("confidences", Param(() => Call(x, y, rand(new long[] { 5, C - 1 }, ScalarType.Float64))));
            // The batch itself is fine: the same call with good input gives a finite loss.
            Assert.True(double.IsFinite(Call(x, y, conf).TotalValue), $"{lossCase}: {objective.GetName()}");
        }
        // Rejected steps leave the CP queue untouched: only the good step's 5 samples entered it.
        Assert.Equal(5, cp.Center.Counts.sum().item<long>());
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void Heads_with_fewer_than_one_proxy_per_class_are_rejected(string lossCase)
    {
        var loss = RegisteredLosses.Cases[lossCase];
        Assert.Equal("proxiesPerClass", Param(() => new ProxySimilarity(C, D, 0, loss.Temperature(), loss.Entry.Head(loss.Options).Init)));
        Assert.Equal("ProxiesPerClass", Param(() => CalibrateProxyObjective.Create(C, D, loss.Loss(true), new CalibrateProxyOptions { ProxiesPerClass = 0 })));
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void The_loss_composes_with_calibrate_proxy(string lossCase)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(32);
        var loss = RegisteredLosses.Cases[lossCase];
        var options = new CalibrateProxyOptions { QueuePerClass = 3, StartEpoch = 1, Lambda = 0.5 };
        var cp = loss.Cp(loss.Head(C, D, 2, g), options);
        var x = randn(new long[] { 8, D }, ScalarType.Float64, generator: g).requires_grad_(true);
        var y = tensor(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 });
        var conf = loss.Confidences(8, C, g);

        var before = cp.call(x, y, new ObjectiveStep(0, conf));   // queue inactive: L_cal = 0, S = s^p
        Assert.Equal(0.0, before.Parts[LossParts.Calibration].item<double>());
        Assert.Equal(8, cp.Center.Counts.sum().item<long>());   // the step filled the queue

        var step = cp.Step(x, y, epoch: 1, conf);                // active: S = s^p + s^g, L_cal > 0
        Assert.True(step.Similarity.QueueActive);
        Assert.True(step.Similarity.CenterUsed.all().item<bool>());
        Assert.False(step.Similarity.Composite.allclose(step.Similarity.ProxySimilarity));
        var cal = step.Loss.Parts[LossParts.Calibration].item<double>();
        Assert.True(cal > 0, $"{lossCase}: L_cal = {cal}");
        var classLoss = step.Loss.Parts[LossParts.ClassLoss].item<double>();
        Assert.Equal(classLoss + options.Lambda * cal, step.Loss.TotalValue, 12);
        // The base loss saw the composite S: recomputing it on S gives L_cp's base part.
        var onComposite = ConfidenceAware(loss.Loss(calibrateProxy: true), step.Similarity.Composite, y, conf).TotalValue;
        Assert.Equal(onComposite, step.BaseLoss.TotalValue, 12);

        step.Loss.Total.backward();
        foreach (var (name, grad) in new[] { ("embeddings", x.grad), ("proxies", cp.Head.Proxies.grad) })
        {
            Assert.NotNull(grad);
            Assert.True(grad!.isfinite().all().item<bool>(), $"{lossCase}: {name} gradient not finite");
            Assert.True(grad.abs().sum().item<double>() > 0, $"{lossCase}: no gradient reaches the {name}");
        }
        Assert.Same(cp.Head.Proxies, cp.ProxyParameters().Single());
    }

    private static LossOutput ConfidenceAware(IClassSimilarityLoss loss, Tensor s, Tensor y, Tensor? conf) =>
        conf is null ? loss.Compute(s, y) : ((IConfidenceWeightedLoss)loss).Compute(s, y, conf);

    [Fact]
    public void The_registry_names_every_loss_once_and_rejects_unknown_names_listing_the_known_ones()
    {
        var registry = LossRegistry.Default;
        Assert.Equal(registry.Names.Count, registry.Names.Distinct().Count());
        Assert.Equal(registry.Entries.Count, registry.Entries.Select(e => e.OptionsType).Distinct().Count());
        foreach (var name in new[] { "proxyAnchor", "proxyNca", "softTriple", "smoothProxyAnchor" }) Assert.Contains(name, registry.Names);
        var ex = Assert.Throws<ArgumentException>(() => registry.Get("proxy_anchor"));
        Assert.Equal("name", ex.ParamName);
        foreach (var name in registry.Names) Assert.Contains(name, ex.Message);
        foreach (var entry in registry.Entries)
        {
            Assert.Same(entry, registry.Get(entry.Name));
            Assert.Same(entry, registry.For(entry.DefaultOptions));
            Assert.Equal(entry.OptionsType, entry.DefaultOptions.GetType());
            Assert.Equal(entry.NeedsConfidences, entry.Build(entry.DefaultOptions) is IConfidenceWeightedLoss);
        }
        Assert.Throws<ArgumentException>(() => registry.Register(ProxyAnchorLoss.Registration));   // a name registers once
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => ProxyAnchorLoss.Registration.Build(new SoftTripleOptions())).ParamName);
        Assert.Equal(("Proxy Anchor", "CP+PA"), (ProxyAnchorLoss.Registration.DisplayName, ProxyAnchorLoss.Registration.CalibrateProxyName));
    }

    private sealed record UnregisteredOptions : LossOptions;

    [Fact]
    public void Options_of_no_registered_loss_are_an_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => LossRegistry.Default.For(new UnregisteredOptions()));
        Assert.Contains("proxyAnchor", ex.Message);
    }

    [Fact]
    public void A_new_registry_discovers_the_losses_and_accepts_more()
    {
        var registry = LossRegistry.CreateDefault();
        Assert.Equal(LossRegistry.Default.Names, registry.Names);
        var extra = LossEntry.Create<UnregisteredOptions>("extra", "Extra", (_, _) => new ProxyAnchorLoss());
        registry.Register(extra);
        Assert.Same(extra, registry.Get("extra"));
        Assert.DoesNotContain("extra", LossRegistry.Default.Names);
    }
}
