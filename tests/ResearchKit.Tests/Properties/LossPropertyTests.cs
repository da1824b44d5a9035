using ResearchKit.Losses;
using ResearchKit.Tests.Losses;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Properties;

/// <summary>Seeded property checks over random batches (float64): invariances and reductions the formulas promise.</summary>
public class LossPropertyTests
{
    private const int Seeds = 12;

    /// <summary>Every loss of <see cref="RegisteredLosses"/>, plain and (prefixed <c>cp:</c>) inside the CP structure.</summary>
    public static TheoryData<string> LossNames => [.. RegisteredLosses.Cases.Keys, .. RegisteredLosses.Cases.Keys.Select(k => "cp:" + k)];

    /// <summary>A random problem: batch, labels (some classes absent), confidences, and the objective's loss of (x, y, confidences).</summary>
    private sealed class Problem
    {
        public required Tensor X { get; init; }
        public required Tensor Y { get; init; }
        public required Tensor Confidences { get; init; }
        public required Func<Tensor, Tensor, Tensor, double> Loss { get; init; }
    }

    private static Problem Make(string name, int seed)
    {
        var g = new Generator((ulong)(1000 + seed));
        var rng = new Random(seed);
        int c = rng.Next(2, 7), d = rng.Next(2, 9), n = rng.Next(1, 20), k = rng.Next(1, 4);
        var x = randn(new long[] { n, d }, ScalarType.Float64, generator: g) * Math.Exp(rng.NextDouble() * 4 - 2);
        var y = randint(c, new long[] { n }, generator: g);
        var conf = rand(new long[] { n, c }, ScalarType.Float64, generator: g);
        bool cp = name.StartsWith("cp:", StringComparison.Ordinal);
        var loss = RegisteredLosses.Cases[cp ? name[3..] : name];
        var head = loss.Head(c, d, k, g);
        // The trainer passes confidences only to a loss that takes them; the others reject them.
        Tensor? Conf(Tensor cc) => loss.Entry.NeedsConfidences ? cc : null;
        if (!cp)
        {
            var plain = loss.Plain(head);
            return new Problem { X = x, Y = y, Confidences = conf, Loss = (xx, yy, cc) => Value(plain.call(xx, yy, new ObjectiveStep(0, Conf(cc)))) };
        }
        var objective = loss.Cp(head, new CalibrateProxyOptions { QueuePerClass = 4, StartEpoch = 1 });
        objective.Center.Enqueue(randn(new long[] { 3 * c, d }, ScalarType.Float64, generator: g), randint(c, new long[] { 3 * c }, generator: g));
        var state = (objective.Center.Entries.clone(), objective.Center.Counts.clone(), objective.Center.Heads.clone());
        return new Problem
        {
            X = x, Y = y, Confidences = conf,
            Loss = (xx, yy, cc) =>
            {
                objective.Center.Restore(state.Item1, state.Item2, state.Item3);
                return Value(objective.Step(xx, yy, epoch: 1, Conf(cc)).Loss);
            },
        };
    }

    private static double Value(LossOutput o) => o.Total.item<double>();

    [Theory]
    [MemberData(nameof(LossNames))]
    public void Loss_is_invariant_to_permuting_the_batch(string name)
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var scope = NewDisposeScope();
            var p = Make(name, seed);
            var perm = randperm(p.X.shape[0], generator: new Generator((ulong)seed));
            double a = p.Loss(p.X, p.Y, p.Confidences);
            double b = p.Loss(p.X.index_select(0, perm), p.Y.index_select(0, perm), p.Confidences.index_select(0, perm));
            Assert.True(Math.Abs(a - b) <= 1e-12 * Math.Max(1, Math.Abs(a)), $"{name} seed {seed}: {a:R} vs permuted {b:R}");
        }
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void Scaling_raw_embeddings_leaves_the_loss_unchanged(string name)
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var scope = NewDisposeScope();
            var p = Make(name, seed);
            double factor = Math.Exp(new Random(seed).NextDouble() * 8 - 4);   // 0.018 .. 55
            double a = p.Loss(p.X, p.Y, p.Confidences);
            double b = p.Loss(p.X * factor, p.Y, p.Confidences);
            Assert.True(Math.Abs(a - b) <= 1e-10 * Math.Max(1, Math.Abs(a)), $"{name} seed {seed}: {a:R} vs scaled by {factor}: {b:R}");
        }
    }

    [Fact]
    public void K_identical_proxies_per_class_equal_the_single_proxy_similarity_for_any_temperature()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)(2000 + seed));
            int c = 5, d = 6, k = 1 + seed % 4;
            var single = randn(new long[] { c, d }, ScalarType.Float64, generator: g);
            var x = randn(new long[] { 9, d }, ScalarType.Float64, generator: g);
            var repeated = single.repeat_interleave(k, 0);   // row c·K + k = proxy of class c
            var one = new ProxySimilarity(single).call(x);
            foreach (var t in new[] { 1.0, 0.1, 7.0 })
            {
                var many = new ProxySimilarity(repeated, k, t).call(x);
                Assert.True(many.allclose(one, 1e-13, 1e-14), $"seed {seed} K {k} T {t}");
            }
            // And K = 1 is the plain cosine.
            var cosine = nn.functional.normalize(x, dim: 1).matmul(nn.functional.normalize(single, dim: 1).t());
            Assert.True(one.allclose(cosine, 1e-14, 1e-15));
        }
    }

    [Fact]
    public void K_identical_proxies_give_the_single_proxy_calibrate_proxy_loss()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)(3000 + seed));
            int c = 4, d = 5, k = 2 + seed % 3;
            var single = randn(new long[] { c, d }, ScalarType.Float64, generator: g);
            var x = randn(new long[] { 8, d }, ScalarType.Float64, generator: g);
            var y = randint(c, new long[] { 8 }, generator: g);
            var fill = randn(new long[] { 10, d }, ScalarType.Float64, generator: g);
            var fillLabels = randint(c, new long[] { 10 }, generator: g);
            double Loss(Tensor proxies, int kk)
            {
                var o = new CalibrateProxyObjective(new ProxySimilarity(proxies, kk), new ProxyAnchorLoss(),
                    new CalibrateProxyOptions { ProxiesPerClass = kk, QueuePerClass = 3, StartEpoch = 0 });
                o.Center.Enqueue(fill, fillLabels);
                return o.Step(x, y, 0).Loss.Total.item<double>();
            }
            double a = Loss(single, 1), b = Loss(single.repeat_interleave(k, 0), k);
            Assert.True(Math.Abs(a - b) <= 1e-12 * Math.Abs(a), $"seed {seed}: K=1 {a:R} vs K={k} copies {b:R}");
        }
    }

    public static TheoryData<string> CpLossNames => RegisteredLosses.Ids;

    [Theory]
    [MemberData(nameof(CpLossNames))]
    public void Inactive_queue_gives_exactly_the_plain_objective(string name)
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)(4000 + seed));
            var loss = RegisteredLosses.Cases[name];
            int c = 5, d = 6, k = loss.ProxiesPerClass(1 + seed % 3);
            var proxies = randn(new long[] { c * k, d }, ScalarType.Float64, generator: g);
            var x = randn(new long[] { 11, d }, ScalarType.Float64, generator: g);
            var y = randint(c, new long[] { 11 }, generator: g);
            var confidences = loss.Confidences(11, c, g);
            var objective = loss.Cp(new ProxySimilarity(proxies, k, loss.Temperature()), new CalibrateProxyOptions { QueuePerClass = 4 });
            // A full, non-trivial queue that must be ignored before the start epoch.
            objective.Center.Enqueue(randn(new long[] { 4 * c, d }, ScalarType.Float64, generator: g), arange(c).repeat(4));
            var step = objective.Step(x, y, epoch: 11, confidences);
            // The same loss as built inside CP, with the same regulariser, without the structure.
            var plain = new ProxyObjective(new ProxySimilarity(proxies, k, loss.Temperature()), loss.Loss(calibrateProxy: true), loss.Entry.Regularizer(loss.Options))
                .call(x, y, new ObjectiveStep(11, confidences));
            Assert.Equal(plain.Total.item<double>(), step.Loss.Total.item<double>());   // bit for bit
            Assert.Equal(0.0, step.Loss.Parts[LossParts.Calibration].item<double>());
            Assert.False(step.Similarity.QueueActive);
            Assert.False(step.Similarity.CenterUsed.any().item<bool>());
        }
    }
}
