using ResearchKit.Losses;
using ResearchKit.Memory;
using ResearchKit.Similarity;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Similarity;

/// <summary>Heads: initialisation, parameter exposure, state, the composite similarity and extensibility.</summary>
public class SimilarityHeadTests
{
    [Theory]
    [InlineData(ProxyInit.KaimingNormalFanOut, 100, 1)]
    [InlineData(ProxyInit.KaimingNormalFanOut, 50, 3)]
    [InlineData(ProxyInit.StandardNormal, 40, 1)]
    [InlineData(ProxyInit.NormalOverEight, 40, 1)]
    [InlineData(ProxyInit.SoftTripleUniform, 30, 10)]
    public void Proxies_are_initialised_with_the_specified_spread(ProxyInit init, int c, int k)
    {
        using var scope = NewDisposeScope();
        var head = new ProxySimilarity(c, 512, k, init: init, dtype: ScalarType.Float64, generator: new Generator(5));
        double rows = c * k;
        double expectedStd = init switch
        {
            ProxyInit.KaimingNormalFanOut => Math.Sqrt(2 / rows),
            ProxyInit.StandardNormal => 1,
            ProxyInit.NormalOverEight => 1 / 8.0,
            _ => 1 / Math.Sqrt(rows) / Math.Sqrt(3),   // U(−b, b) has std b/√3
        };
        double std = head.Proxies.std().item<double>();
        Assert.InRange(std / expectedStd, 0.97, 1.03);
        if (init == ProxyInit.SoftTripleUniform)
            Assert.True(head.Proxies.abs().max().item<double>() <= 1 / Math.Sqrt(rows));
    }

    [Fact]
    public void Same_generator_seed_gives_the_same_proxies()
    {
        using var scope = NewDisposeScope();
        var a = ProxySimilarity.ForProxyAnchor(10, 16, 3, generator: new Generator(9));
        var b = ProxySimilarity.ForProxyAnchor(10, 16, 3, generator: new Generator(9));
        Assert.True(a.Proxies.allclose(b.Proxies, 0, 0));
    }

    [Fact]
    public void Proxy_parameters_are_exposed_for_their_own_optimizer_group()
    {
        using var scope = NewDisposeScope();
        var objective = CalibrateProxyObjective.Create(6, 8, new ProxyAnchorLoss());
        var proxies = objective.ProxyParameters().ToList();
        Assert.Single(proxies);
        Assert.Same(objective.Head.Proxies, proxies[0]);
        Assert.Equal(new long[] { 18, 8 }, proxies[0].shape);
        Assert.Single(objective.parameters());   // the queue is not a parameter
        var keys = objective.state_dict().Keys.OrderBy(k => k).ToArray();
        Assert.Equal(new[] { "similarity.center.counts", "similarity.center.entries", "similarity.center.heads", "similarity.inner.proxies" }, keys);

        var embedding = nn.Linear(4, 8);
        var optimizer = optim.AdamW(new AdamW.ParamGroup[]
        {
            new(embedding.parameters(), lr: 1e-4, weight_decay: 1e-4),
            new(objective.ProxyParameters(), lr: 1e-2, weight_decay: 1e-4),
        });
        var before = objective.Head.Proxies.detach().clone();
        var x = embedding.call(randn(12, 4));
        objective.Step(x, randint(6, new long[] { 12 }), 0).Loss.Total.backward();
        optimizer.step();
        Assert.False(objective.Head.Proxies.allclose(before));
    }

    [Fact]
    public void Calibrated_similarity_adds_center_similarity_only_for_used_classes()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(21);
        var inner = new ProxySimilarity(randn(new long[] { 3, 4 }, ScalarType.Float64, generator: g));
        var center = new GlobalCenter(3, 2, 4, ScalarType.Float64);
        center.Enqueue(randn(new long[] { 3, 4 }, ScalarType.Float64, generator: g), tensor(new long[] { 0, 2, 0 }));
        var head = new CalibratedSimilarity(inner, center, startEpoch: 3);
        var x = randn(new long[] { 5, 4 }, ScalarType.Float64, generator: g);
        var sp = inner.call(x);

        Assert.True(head.Compute(x, epoch: 2).Composite.allclose(sp, 0, 0));
        var s = head.Compute(x, epoch: 3).Composite;
        Assert.True(head.call(x).allclose(s, 0, 0));   // forward: the similarity with the queue in use
        var sg = head.CenterSimilarityOf(x);
        Assert.True(s.allclose(sp + sg, 1e-14, 1e-15));
        Assert.True(s[.., 1].allclose(sp[.., 1], 0, 0));   // class 1 has an empty queue
        // s^g is the mean cosine to the stored entries.
        var xn = nn.functional.normalize(x, dim: 1);
        var direct = (xn.matmul(center.Entries[0, 0]) + xn.matmul(center.Entries[0, 1])) / 2;
        Assert.True(sg[.., 0].allclose(direct, 1e-14, 1e-15));

        var mean = new CalibratedSimilarity(inner, center, 0, CompositeMode.Mean).call(x);
        Assert.True(mean[.., 0].allclose((sp[.., 0] + sg[.., 0]) / 2, 1e-14, 1e-15));
        Assert.True(mean[.., 1].allclose(sp[.., 1], 0, 0));   // not halved
    }

    [Fact]
    public void Readings_beyond_the_paper_weighted_centred_and_own_class_s_g_have_their_stated_values()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(23);
        var inner = new ProxySimilarity(randn(new long[] { 3, 4 }, ScalarType.Float64, generator: g));
        var center = new GlobalCenter(3, 2, 4, ScalarType.Float64);
        var entries = randn(new long[] { 3, 4 }, ScalarType.Float64, generator: g);
        center.Enqueue(entries, tensor(new long[] { 0, 2, 0 }));   // class 1 empty
        var x = randn(new long[] { 5, 4 }, ScalarType.Float64, generator: g);
        var y = tensor(new long[] { 0, 1, 2, 2, 0 });
        var sp = inner.call(x);
        var sg = new CalibratedSimilarity(inner, center, 0).CenterSimilarityOf(x);

        // β: S = s^p + β s^g (Sum), (s^p + β s^g) / 2 on used classes (Mean).
        var weighted = new CalibratedSimilarity(inner, center, 0, centerWeight: 0.25).Compute(x, 0).Composite;
        Assert.True(weighted.allclose(sp + 0.25 * sg, 1e-14, 1e-15));
        var weightedMean = new CalibratedSimilarity(inner, center, 0, CompositeMode.Mean, centerWeight: 0.25).Compute(x, 0).Composite;
        Assert.True(weightedMean[.., 2].allclose((sp[.., 2] + 0.25 * sg[.., 2]) / 2, 1e-14, 1e-15));
        Assert.True(weightedMean[.., 1].allclose(sp[.., 1], 0, 0));

        // Centred: cos(x̂ − μ, ḡ_c − μ), μ = mean of all three stored entries (normalised on entry); 0 for the empty class.
        var stored = nn.functional.normalize(entries, dim: 1);
        var mu = stored.mean([0]);
        var xc = nn.functional.normalize(nn.functional.normalize(x, dim: 1) - mu, dim: 1);
        var g0 = nn.functional.normalize((stored[0] + stored[2]) / 2 - mu, dim: 0);
        var g2 = nn.functional.normalize(stored[1] - mu, dim: 0);
        var centred = new CalibratedSimilarity(inner, center, 0, centerSimilarity: CenterSimilarityMode.CenteredCos).Compute(x, 0);
        Assert.True(centred.CenterSimilarity![.., 0].allclose(xc.matmul(g0), 1e-12, 1e-13));
        Assert.True(centred.CenterSimilarity[.., 2].allclose(xc.matmul(g2), 1e-12, 1e-13));
        Assert.True(centred.CenterSimilarity[.., 1].allclose(zeros(5, ScalarType.Float64), 0, 0));
        Assert.True(centred.Composite.allclose(sp + centred.CenterSimilarity, 1e-14, 1e-15));

        // Own class: s^g only at (i, y_i), and only where that class's queue is used (sample 1's class 1 is empty).
        var own = new CalibratedSimilarity(inner, center, 0, centerClasses: CenterClasses.OwnClass).Compute(x, 0, y).Composite;
        var onehot = nn.functional.one_hot(y, 3).to_type(ScalarType.Float64) * center.NonEmpty().to_type(ScalarType.Float64);
        Assert.True(own.allclose(sp + sg * onehot, 1e-14, 1e-15));
        Assert.True(own[1].allclose(sp[1], 0, 0));
        Assert.Throws<InvalidOperationException>(() => new CalibratedSimilarity(inner, center, 0, centerClasses: CenterClasses.OwnClass).call(x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CalibratedSimilarity(inner, center, 0, centerWeight: -1));
    }

    [Fact]
    public void Enqueue_order_decides_which_queue_state_the_loss_sees()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(22);
        var proxies = randn(new long[] { 3 * 2, 4 }, ScalarType.Float64, generator: g);
        var x = randn(new long[] { 6, 4 }, ScalarType.Float64, generator: g);
        var y = tensor(new long[] { 0, 1, 1, 2, 0, 1 });
        CalibrateProxyOutput Run(EnqueueOrder order)
        {
            var o = new CalibrateProxyObjective(new ProxySimilarity(proxies, 2), new ProxyAnchorLoss(),
                new CalibrateProxyOptions { ProxiesPerClass = 2, QueuePerClass = 3, StartEpoch = 0, EnqueueOrder = order });
            return o.Step(x, y, 0);
        }
        var after = Run(EnqueueOrder.AfterLoss);
        Assert.Equal(0, after.QueueCounts.sum().item<long>());      // empty queue: S = s^p, no calibration
        Assert.Equal(0, after.Calibration.NumPairs);
        var before = Run(EnqueueOrder.BeforeLoss);
        Assert.Equal(new long[] { 2, 3, 1 }, before.QueueCounts.data<long>().ToArray());
        Assert.Equal(2 * 6, before.Calibration.NumPairs);
        Assert.True(before.Loss.Total.item<double>() != after.Loss.Total.item<double>());
    }

    /// <summary>
    /// A new proxy loss is one class on S; CP wraps it unchanged. (Normalised-softmax cross-entropy with scale 16.)
    /// </summary>
    private sealed class NormSoftmaxLoss : ClassSimilarityLoss
    {
        public override string Name => "norm_softmax";

        protected override LossOutput ComputeCore(Tensor similarity, Tensor labels)
        {
            var loss = nn.functional.cross_entropy(similarity * 16, labels);
            return new LossOutput(loss, new[] { Part(LossParts.CrossEntropy, loss) });
        }
    }

    [Fact]
    public void A_new_loss_in_one_class_combines_with_calibrate_proxy()
    {
        using var scope = NewDisposeScope();
        var objective = CalibrateProxyObjective.Create(5, 8, new NormSoftmaxLoss(), new CalibrateProxyOptions { StartEpoch = 1, QueuePerClass = 4 },
            dtype: ScalarType.Float64, generator: new Generator(3));
        var x = randn(new long[] { 10, 8 }, ScalarType.Float64).requires_grad_(true);
        var y = arange(5).repeat(2);
        objective.Step(x, y, 0);   // fills the queue
        var step = objective.Step(x, y, 1);
        step.Loss.Total.backward();
        Assert.True(step.Similarity.QueueActive);
        Assert.True(step.Calibration.NumPairs > 0);
        var expected = nn.functional.cross_entropy(step.Similarity.Composite * 16, y) + step.Calibration.Loss;
        Assert.Equal(expected.item<double>(), step.Loss.Total.item<double>(), 12);
        Assert.Equal(new[] { LossParts.CrossEntropy, LossParts.ClassLoss, LossParts.Calibration }, step.Loss.PartList.Select(p => p.Key));
        Assert.NotNull(objective.Head.Proxies.grad);
    }
}
