using ResearchKit.Losses;
using ResearchKit.Similarity;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Engine;

/// <summary>Every registered loss builds into the trainer's objective, plain and inside CP, with the head its entry asks for.</summary>
public class LossFactoryTests
{
    public static TheoryData<string> Losses => [.. LossRegistry.Default.Names];

    [Theory]
    [MemberData(nameof(Losses))]
    public void Every_registered_loss_builds_and_takes_a_training_step_plain_and_with_cp(string name)
    {
        using var scope = NewDisposeScope();
        var entry = LossRegistry.Default.Get(name);
        var wanted = entry.Head(entry.DefaultOptions);
        foreach (var cp in new[] { false, true })
        {
            var config = new LossConfig { Base = entry.DefaultOptions, CalibrateProxy = cp, ProxiesPerClass = 2, Cp = new CalibrateProxyOptions { StartEpoch = 0, QueuePerClass = 3 } };
            var objective = LossFactory.Create(config, numClasses: 5, embeddingSize: 8, new Generator(3));
            Assert.Equal(cp, objective is CalibrateProxyObjective);
            Assert.Equal(wanted.ProxiesPerClass ?? (cp ? 3 : 2), objective.Head.ProxiesPerClass);
            Assert.Equal(wanted.Temperature ?? 1.0, objective.Head.Temperature);
            Assert.Equal((5, 8), (objective.Head.NumClasses, objective.Head.EmbeddingSize));
            Assert.Same(objective.Head.Proxies, objective.parameters().Single());
            var x = randn(10, 8).requires_grad_(true);
            var y = tensor(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 });
            var confidences = entry.NeedsConfidences ? rand(10, 5) : null;
            for (int epoch = 0; epoch < 2; epoch++)   // the second CP step uses the queue the first filled
            {
                var output = objective.call(x, y, new ObjectiveStep(epoch, confidences));
                output.Total.backward();
                Assert.True(double.IsFinite(output.TotalValue), $"{name} cp={cp}: {output.TotalValue}");
            }
            Assert.True(objective.Head.Proxies.grad!.abs().sum().item<float>() > 0);
        }
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void Proxies_start_as_the_entry_says(string name)
    {
        using var scope = NewDisposeScope();
        var entry = LossRegistry.Default.Get(name);
        var built = LossFactory.Create(new LossConfig { Base = entry.DefaultOptions, CalibrateProxy = false }, 4, 6, new Generator(9));
        var k = built.Head.ProxiesPerClass;
        var reference = new ProxySimilarity(4, 6, k, built.Head.Temperature, entry.Head(entry.DefaultOptions).Init, generator: new Generator(9));
        Assert.True(built.Head.Proxies.allclose(reference.Proxies, 0, 0), $"{name}: proxies differ from {entry.Head(entry.DefaultOptions).Init}");
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void Fewer_than_one_proxy_per_class_is_rejected_naming_the_field(string name)
    {
        var entry = LossRegistry.Default.Get(name);
        var plain = Assert.Throws<ArgumentException>(() => new LossConfig { Base = entry.DefaultOptions, ProxiesPerClass = 0 }.Validate());
        Assert.Contains("Loss.ProxiesPerClass", plain.Message);
        var cp = Assert.Throws<ArgumentException>(() => new LossConfig { Base = entry.DefaultOptions, Cp = new CalibrateProxyOptions { ProxiesPerClass = 0 } }.Validate());
        Assert.Contains("Loss.Cp.ProxiesPerClass", cp.Message);
    }
}
