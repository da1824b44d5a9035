using ResearchKit.Training.Config;
using ResearchKit.Training.Optimization;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests;

public class DeterminismTests
{
    private static (Dictionary<string, Tensor> Params, int[] Order) Run(int seed)
    {
        var random = Determinism.Initialize(seed, threads: 1);
        var net = Tiny.Network();
        var loss = new TinyProxyLoss(3, 6);
        var setup = OptimizerFactory.AdamW(ParameterGroups.From(net, loss), new TrainingConfig { LearningRate = 1e-2 });
        var order = Enumerable.Range(0, 10).OrderBy(_ => random.Next()).ToArray(); // a sampler shuffle
        Freezing.SetTrainMode(net, BatchNormFreeze.None);
        for (int i = 0; i < 4; i++)
        {
            using var scope = NewDisposeScope();
            var x = randn(8, 1, 8, 8);                    // default generator: seeded above
            var y = randint(0, 3, new long[] { 8 });
            setup.Optimizer.zero_grad();
            loss.forward(net.forward(x), y).backward();
            setup.Optimizer.step();
        }
        var p = Tiny.Snapshot(net);
        foreach (var (k, v) in Tiny.Snapshot(loss)) p["loss." + k] = v;
        return (p, order);
    }

    [Fact]
    public void Two_seeded_runs_give_identical_parameters_and_a_different_seed_does_not()
    {
        var a = Run(42);
        var b = Run(42);
        var c = Run(43);
        Assert.Equal(a.Order, b.Order);
        Assert.All(a.Params, kv => Assert.True(kv.Value.eq(b.Params[kv.Key]).all().item<bool>(), kv.Key));
        Assert.Contains(a.Params, kv => !kv.Value.eq(c.Params[kv.Key]).all().item<bool>());
    }

    [Fact]
    public void Negative_thread_count_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Determinism.SetThreads(-1));
}
