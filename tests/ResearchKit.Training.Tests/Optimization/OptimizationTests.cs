using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using ResearchKit.Training.Optimization;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Optimization;

public class OptimizationTests
{
    private static void Step(EmbeddingNetwork net, TinyProxyLoss loss, OptimizerSetup setup, int seed, double clip = 10)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Tiny.Batch(seed);
        setup.Optimizer.zero_grad();
        loss.forward(net.forward(x), y).backward();
        Freezing.ClipGradValue(net.parameters().Concat(loss.parameters()), clip);
        setup.Optimizer.step();
    }

    [Fact]
    public void Groups_get_base_head_and_100x_proxy_learning_rates()
    {
        var net = Tiny.Network();
        var loss = new TinyProxyLoss(3, 6);
        var setup = OptimizerFactory.AdamW(ParameterGroups.From(net, loss), new TrainingConfig());
        Assert.Equal(new[] { ParamGroupRole.Backbone, ParamGroupRole.Head, ParamGroupRole.Proxies }, setup.Roles);
        Assert.Equal(1e-4, setup.LearningRate(ParamGroupRole.Backbone)!.Value, 12);
        Assert.Equal(1e-4, setup.LearningRate(ParamGroupRole.Head)!.Value, 12);
        Assert.Equal(1e-2, setup.LearningRate(ParamGroupRole.Proxies)!.Value, 12);
        var groups = setup.Optimizer.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>().ToList();
        Assert.Equal(net.Backbone.parameters().Count(), groups[0].Parameters.Count());
        Assert.Equal(2, groups[1].Parameters.Count());
        Assert.Single(groups[2].Parameters);

        var noProxies = OptimizerFactory.AdamW(ParameterGroups.From(net), 1e-3, 0);
        Assert.Equal(new[] { ParamGroupRole.Backbone, ParamGroupRole.Head }, noProxies.Roles);
        Assert.Null(noProxies.LearningRate(ParamGroupRole.Proxies));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.AdamW(new ParameterGroups(net.Head.parameters().ToList(), net.Head.parameters().ToList(), []), 1e-3, 0));
    }

    [Fact]
    public void Warmup_freezes_the_backbone_and_frozen_parameters_do_not_change()
    {
        manual_seed(5);
        var net = Tiny.Network();
        var loss = new TinyProxyLoss(3, 6);
        Freezing.FreezeBatchNormAffine(net);
        var setup = OptimizerFactory.AdamW(ParameterGroups.From(net, loss), new TrainingConfig { LearningRate = 1e-2 });

        Freezing.ApplyWarmup(net.Backbone, epoch: 0, warmupEpochs: 1, BatchNormFreeze.EvalAndFrozenAffine);
        Freezing.SetTrainMode(net, BatchNormFreeze.EvalAndFrozenAffine);
        var before = Tiny.Snapshot(net);
        var proxiesBefore = Tiny.Snapshot(loss);
        var runningMean = net.Backbone.state_dict()["features.bn1.running_mean"].clone();
        for (int i = 0; i < 3; i++) Step(net, loss, setup, i);
        var after = Tiny.Snapshot(net);
        foreach (var (k, v) in before)
        {
            bool changed = !v.eq(after[k]).all().item<bool>();
            Assert.True(changed == k.StartsWith("head."), $"{k} changed={changed}");
        }
        Assert.False(proxiesBefore["proxies"].eq(loss.parameters().Single()).all().item<bool>());
        Assert.True(runningMean.eq(net.Backbone.state_dict()["features.bn1.running_mean"]).all().item<bool>()); // BN in eval mode

        // After the warm-up the convs train, the frozen BN affine parameters still do not.
        Freezing.ApplyWarmup(net.Backbone, epoch: 1, warmupEpochs: 1, BatchNormFreeze.EvalAndFrozenAffine);
        before = Tiny.Snapshot(net);
        Step(net, loss, setup, 9);
        after = Tiny.Snapshot(net);
        Assert.False(before["backbone.features.conv1.weight"].eq(after["backbone.features.conv1.weight"]).all().item<bool>());
        Assert.True(before["backbone.features.bn1.weight"].eq(after["backbone.features.bn1.weight"]).all().item<bool>());
        Assert.True(before["backbone.features.bn2.bias"].eq(after["backbone.features.bn2.bias"]).all().item<bool>());
    }

    [Fact]
    public void Freezing_after_training_drops_gradients_so_adamw_leaves_parameters_alone()
    {
        manual_seed(6);
        var net = Tiny.Network();
        var loss = new TinyProxyLoss(3, 6);
        var setup = OptimizerFactory.AdamW(ParameterGroups.From(net, loss), new TrainingConfig { LearningRate = 1e-2 });
        Step(net, loss, setup, 1); // backbone has gradients and AdamW moments now
        Freezing.SetTrainable(net.Backbone.parameters(), false);
        Assert.All(net.Backbone.parameters(), p => Assert.Null(p.grad));
        var before = Tiny.Snapshot(net.Backbone);
        Step(net, loss, setup, 2);
        var now = Tiny.Snapshot(net.Backbone);
        Assert.All(before, kv => Assert.True(kv.Value.eq(now[kv.Key]).all().item<bool>(), kv.Key));
    }

    [Fact]
    public void Literal_proxy_anchor_mode_unfreezes_batchnorm_affine_after_warmup()
    {
        var net = Tiny.Network();
        Freezing.FreezeBatchNormAffine(net);
        Freezing.ApplyWarmup(net.Backbone, 1, 1, BatchNormFreeze.EvalAffineTrainedAfterWarmup);
        Assert.All(net.Backbone.parameters(), p => Assert.True(p.requires_grad));
        Freezing.SetTrainMode(net, BatchNormFreeze.EvalAffineTrainedAfterWarmup);
        Assert.All(Freezing.BatchNorm2dLayers(net), bn => Assert.False(bn.training));
        Freezing.SetTrainMode(net, BatchNormFreeze.None);
        Assert.All(Freezing.BatchNorm2dLayers(net), bn => Assert.True(bn.training));
    }

    [Fact]
    public void Clip_grad_value_bounds_every_gradient()
    {
        var p = new TorchSharp.Modules.Parameter(zeros(4));
        (p * tensor(new float[] { 100, -50, 3, 0 })).sum().backward();
        Freezing.ClipGradValue([p], 10);
        Assert.Equal(new float[] { 10, -10, 3, 0 }, p.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Step_schedule_halves_every_group_every_10_epochs_and_cosine_reaches_the_floor()
    {
        var net = Tiny.Network();
        var loss = new TinyProxyLoss(3, 6);
        var setup = OptimizerFactory.AdamW(ParameterGroups.From(net, loss), new TrainingConfig());
        var sched = LrSchedules.Create(setup.Optimizer, new LrScheduleConfig(), 60);
        for (int e = 0; e < 10; e++) sched.step();
        Assert.Equal(5e-5, setup.LearningRate(ParamGroupRole.Backbone)!.Value, 12);
        Assert.Equal(5e-3, setup.LearningRate(ParamGroupRole.Proxies)!.Value, 12);
        for (int e = 0; e < 10; e++) sched.step();
        Assert.Equal(2.5e-5, setup.LearningRate(ParamGroupRole.Head)!.Value, 12);

        var cos = OptimizerFactory.AdamW(ParameterGroups.From(net, loss), 1e-3, 0);
        var cs = LrSchedules.Create(cos.Optimizer, new LrScheduleConfig { Kind = LrScheduleKind.Cosine, MinLr = 1e-5 }, 4);
        cs.step(); cs.step();
        Assert.Equal((1e-3 + 1e-5) / 2, cos.LearningRate(ParamGroupRole.Backbone)!.Value, 9);
        Assert.Equal((1e-1 + 1e-5) / 2, cos.LearningRate(ParamGroupRole.Proxies)!.Value, 9);
        cs.step(); cs.step();
        Assert.Equal(1e-5, cos.LearningRate(ParamGroupRole.Backbone)!.Value, 9);
    }
}
