using ResearchKit.Losses;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>Bad input throws an ArgumentException (or subclass) that names the argument.</summary>
public class BadInputTests
{
    private static string? Param(Action action) => Assert.ThrowsAny<ArgumentException>(action).ParamName;

    private static Tensor WithValue(Tensor t, float value)
    {
        var copy = t.clone();
        copy[0, 0] = tensor(value);
        return copy;
    }

    [Fact]
    public void Heads_reject_bad_embeddings()
    {
        using var scope = NewDisposeScope();
        var head = new ProxySimilarity(4, 8, 3);
        Assert.Equal("embeddings", Param(() => head.call(randn(5, 7))));                 // wrong D
        Assert.Equal("embeddings", Param(() => head.call(randn(8))));                    // rank 1
        Assert.Equal("embeddings", Param(() => head.call(randn(2, 5, 8))));              // rank 3
        Assert.Equal("embeddings", Param(() => head.call(zeros(0, 8))));                 // empty batch
        Assert.Equal("embeddings", Param(() => head.call(WithValue(randn(5, 8), float.NaN))));
        Assert.Equal("embeddings", Param(() => head.call(WithValue(randn(5, 8), float.PositiveInfinity))));
        Assert.Equal("embeddings", Param(() => head.call(randn(5, 8, ScalarType.Float64))));   // dtype differs from the proxies
        Assert.Equal("embeddings", Param(() => head.call(ones(new long[] { 5, 8 }, ScalarType.Int64))));
    }

    [Fact]
    public void Constructors_reject_bad_sizes_and_scales()
    {
        Assert.Equal("proxiesPerClass", Param(() => new ProxySimilarity(4, 8, 0)));
        Assert.Equal("numClasses", Param(() => new ProxySimilarity(0, 8)));
        Assert.Equal("temperature", Param(() => new ProxySimilarity(4, 8, 2, -1)));
        Assert.Equal("temperature", Param(() => new ProxySimilarity(4, 8, 2, 0)));
        Assert.Equal("initialProxies", Param(() => new ProxySimilarity(randn(7, 4), 2)));
        Assert.Equal("Alpha", Param(() => new ProxyAnchorLoss(new ProxyAnchorOptions { Alpha = -32 })));
        Assert.Equal("Margin", Param(() => new ProxyAnchorLoss(new ProxyAnchorOptions { Margin = double.NaN })));
        Assert.Equal("Scale", Param(() => new ProxyNcaLoss(new ProxyNcaOptions { Scale = -1 })));
        Assert.Equal("softmaxScale", Param(() => ProxyNcaLoss.Pml(0)));
        Assert.Equal("La", Param(() => new SoftTripleLoss(new SoftTripleOptions { La = -20 })));
        Assert.Equal("Tau", Param(() => new SoftTripleLoss(new SoftTripleOptions { Tau = -0.2 })));
        Assert.Equal("CentersPerClass", Param(() => new SoftTripleLoss(new SoftTripleOptions { CentersPerClass = 0 })));
        Assert.Equal("tau", Param(() => new SoftTripleRegularizer(-1)));
        Assert.Equal("Beta", Param(() => new SmoothProxyAnchorLoss(new SmoothProxyAnchorOptions { Beta = -10 })));
        Assert.Equal("QueuePerClass", Param(() => CalibrateProxyObjective.Create(4, 8, new ProxyAnchorLoss(), new CalibrateProxyOptions { QueuePerClass = 0 })));
        Assert.Equal("ProxiesPerClass", Param(() => CalibrateProxyObjective.Create(4, 8, new ProxyAnchorLoss(), new CalibrateProxyOptions { ProxiesPerClass = 0 })));
        Assert.Equal("Lambda", Param(() => CalibrateProxyObjective.Create(4, 8, new ProxyAnchorLoss(), new CalibrateProxyOptions { Lambda = -1 })));
        Assert.Equal("Temperature", Param(() => CalibrateProxyObjective.Create(4, 8, new ProxyAnchorLoss(), new CalibrateProxyOptions { Temperature = 0 })));
        Assert.Equal("Composite", Param(() => CalibrateProxyObjective.Create(4, 8, new ProxyAnchorLoss(), new CalibrateProxyOptions { Composite = (CompositeMode)7 })));
        Assert.Equal("head", Param(() => new CalibrateProxyObjective(new ProxySimilarity(4, 8, 2), new ProxyAnchorLoss())));   // K 2 ≠ options' 3
    }

    public static TheoryData<string> Losses => RegisteredLosses.Ids;

    [Theory]
    [MemberData(nameof(Losses))]
    public void Losses_reject_bad_similarities_and_labels(string name)
    {
        using var scope = NewDisposeScope();
        var loss = RegisteredLosses.Cases[name].Loss();
        var s = rand(6, 4) * 2 - 1;
        var y = tensor(new long[] { 0, 1, 2, 3, 0, 1 });
        Assert.Equal("labels", Param(() => loss.Compute(s, tensor(new long[] { 0, 1, 2, 4, 0, 1 }))));   // out of range
        Assert.Equal("labels", Param(() => loss.Compute(s, tensor(new long[] { 0, 1, -1, 3, 0, 1 }))));
        Assert.Equal("labels", Param(() => loss.Compute(s, tensor(new long[] { 0, 1, 2 }))));             // wrong length
        Assert.Equal("labels", Param(() => loss.Compute(s, y.to_type(ScalarType.Float32))));
        Assert.Equal("labels", Param(() => loss.Compute(s, y.view(2, 3))));
        Assert.Equal("similarity", Param(() => loss.Compute(s.view(-1), y)));
        Assert.Equal("similarity", Param(() => loss.Compute(zeros(0, 4), tensor(Array.Empty<long>()))));
        Assert.Equal("similarity", Param(() => loss.Compute(WithValue(s, float.NaN), y)));
        Assert.Equal("similarity", Param(() => loss.Compute(WithValue(s, float.PositiveInfinity), y)));
        Assert.Equal("similarity", Param(() => loss.Compute(WithValue(s, float.NegativeInfinity), y)));
        Assert.Equal("similarity", Param(() => loss.Compute(zeros(6, 0), y)));                            // C = 0
        // int32 labels are accepted.
        Assert.True(double.IsFinite(loss.Compute(s, y.to_type(ScalarType.Int32)).Total.item<float>()));
    }

    [Fact]
    public void Smooth_proxy_anchor_rejects_bad_confidences()
    {
        using var scope = NewDisposeScope();
        var loss = new SmoothProxyAnchorLoss();
        var s = rand(6, 4);
        var y = tensor(new long[] { 0, 1, 2, 3, 0, 1 });
        Assert.Equal("confidences", Param(() => loss.Compute(s, y, rand(6, 3))));
        Assert.Equal("confidences", Param(() => loss.Compute(s, y, rand(6, 4) + 1)));
        Assert.Equal("confidences", Param(() => loss.Compute(s, y, WithValue(rand(6, 4), float.NaN))));
    }

    [Fact]
    public void Proxy_nca_without_positive_needs_two_classes()
    {
        using var scope = NewDisposeScope();
        Assert.Equal("similarity", Param(() => ProxyNcaLoss.Original().Compute(rand(3, 1), zeros(3, ScalarType.Int64))));
    }

    [Fact]
    public void Calibrate_proxy_objective_rejects_bad_steps()
    {
        using var scope = NewDisposeScope();
        var objective = CalibrateProxyObjective.Create(4, 8, new ProxyAnchorLoss(), new CalibrateProxyOptions { QueuePerClass = 2 });
        var x = randn(5, 8);
        var y = tensor(new long[] { 0, 1, 2, 3, 0 });
        Assert.Equal("labels", Param(() => objective.Step(x, y + 1, 0)));
        Assert.Equal("embeddings", Param(() => objective.Step(randn(5, 9), y, 0)));
        Assert.Equal("embeddings", Param(() => objective.Step(WithValue(x, float.NegativeInfinity), y, 0)));
        Assert.Equal("epoch", Param(() => objective.Step(x, y, -1)));
        Assert.Equal("confidences", Param(() => objective.Step(x, y, 0, rand(5, 4))));   // Proxy Anchor takes no confidences
        Assert.Equal("embeddings", Param(() => objective.Step(zeros(0, 8), tensor(Array.Empty<long>()), 0)));   // empty batch
        Assert.Equal("embeddings", Param(() => objective.Center.Enqueue(zeros(0, 8), tensor(Array.Empty<long>()))));
        // Rejected steps leave the queue untouched.
        Assert.Equal(0, objective.Center.Counts.sum().item<long>());
    }

    [Fact]
    public void Inputs_on_another_device_than_the_proxies_are_rejected()
    {
        using var scope = NewDisposeScope();
        // The meta device exists in every libtorch build: a tensor with shape and dtype but no data.
        var other = cuda.is_available() ? CUDA : META;
        var x = randn(new long[] { 5, 8 }, device: other);
        Assert.Equal(other.type, x.device_type);
        var y = tensor(new long[] { 0, 1, 2, 3, 0 });
        var head = new ProxySimilarity(4, 8, 3);
        Assert.Equal("embeddings", Param(() => head.call(x)));
        var objective = CalibrateProxyObjective.Create(4, 8, new ProxyAnchorLoss());
        Assert.Equal("embeddings", Param(() => objective.Step(x, y, 0)));
        Assert.Equal("embeddings", Param(() => objective.Center.Enqueue(x, y)));
        Assert.Equal("labels", Param(() => objective.Step(randn(5, 8), y.to(other), 0)));
        Assert.Equal("labels", Param(() => new ProxyAnchorLoss().Compute(rand(5, 4), y.to(other))));
        // A queue on another device than the proxies cannot calibrate them.
        var otherCenter = new ResearchKit.Memory.GlobalCenter(4, 2, 8, device: other);
        Assert.Equal("center", Param(() => new CalibrationLoss().Compute(head, otherCenter)));
        // Proxies moved to the other device reject CPU embeddings.
        var moved = new ProxySimilarity(4, 8, 3, device: other);
        Assert.Equal(other.type, moved.Proxies.device_type);
        Assert.Equal("embeddings", Param(() => moved.call(randn(5, 8))));
    }
}
