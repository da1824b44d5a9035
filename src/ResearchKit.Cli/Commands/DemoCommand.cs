using System.CommandLine;
using System.Diagnostics;
using ResearchKit.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Cli.Commands;

/// <summary>
/// <c>researchkit demo</c>: trains CP + Proxy Anchor (K = 3, M = 30) for a few hundred steps on synthetic clustered data
/// and reports the loss parts and Recall@1 on held-out samples and on unseen classes.
/// </summary>
public static class DemoCommand
{
    private const int TrainClasses = 20, UnseenClasses = 10, InputSize = 64, SignalSize = 8, EmbeddingSize = 64;
    private const int PerClassTrain = 100, PerClassTest = 40, BatchSize = 120, StepsPerEpoch = 25, StartEpoch = 4, LogEvery = 25;

    /// <summary>The command definition.</summary>
    public static Command Build()
    {
        var steps = new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => 300 };
        var seed = new Option<int>("--seed") { Description = "Random seed (data, initialisation, batches)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "Torch device, e.g. cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var command = new Command("demo",
            "Train CP + Proxy Anchor on synthetic clusters (queue on from epoch 4, 25 steps per epoch) and report Recall@1")
        {
            steps, seed, device,
        };
        command.SetAction(parse => Run(parse.GetValue(steps), parse.GetValue(seed), parse.GetValue(device)!));
        return command;
    }

    /// <summary>Runs the demo; returns the exit code.</summary>
    public static int Run(int steps, int seed, string deviceName)
    {
        if (steps < 1) { Console.Error.WriteLine("--steps must be >= 1"); return 2; }
        Device device;
        try { device = new Device(deviceName); }
        catch (Exception e) { Console.Error.WriteLine($"--device '{deviceName}': {e.Message}"); return 2; }

        var clock = Stopwatch.StartNew();
        // The problem is tiny: one intra-op thread avoids thread hand-offs that cost more than the work.
        if (device.type == DeviceType.CPU) set_num_threads(1);
        var g = new Generator((ulong)seed);
        manual_seed(seed);
        // Classes differ only in an 8-dimensional signal subspace; 56 nuisance dimensions carry noise, so a good embedding
        // must learn which directions matter, and that transfers to classes it never saw.
        var centers = nn.functional.normalize(randn(new long[] { TrainClasses + UnseenClasses, SignalSize }, generator: g), dim: 1);
        var (trainX, trainY) = Sample(centers, 0, TrainClasses, PerClassTrain, g);
        var (testX, testY) = Sample(centers, 0, TrainClasses, PerClassTest, g);
        var (unseenX, unseenY) = Sample(centers, TrainClasses, UnseenClasses, PerClassTest, g);

        var model = nn.Sequential(nn.Linear(InputSize, 128), nn.ReLU(), nn.Linear(128, EmbeddingSize));
        model.to(device);   // before the optimizer: .to() replaces parameters
        var options = new CalibrateProxyOptions { StartEpoch = StartEpoch };
        var objective = CalibrateProxyObjective.Create(TrainClasses, EmbeddingSize, new ProxyAnchorLoss(), options, device: device, generator: g);
        const double lr = 1e-3;
        var optimizer = optim.AdamW(new AdamW.ParamGroup[]
        {
            new(model.parameters(), lr: lr, weight_decay: 1e-4),
            new(objective.ProxyParameters(), lr: 100 * lr, weight_decay: 1e-4),   // the Proxy Anchor recipe: proxies at 100× lr
        });

        Console.WriteLine($"CP + Proxy Anchor demo: {TrainClasses} classes, input {InputSize}, embedding {EmbeddingSize}, K = {options.ProxiesPerClass}, " +
                          $"M = {options.QueuePerClass}, lambda = {options.Lambda}; {steps} steps of {BatchSize}, {StepsPerEpoch} steps per epoch, " +
                          $"queue used from epoch {StartEpoch} (step {StartEpoch * StepsPerEpoch}); device {device}");
        Console.WriteLine($"{"step",5} {"epoch",5} {"queue",6} {"loss",8} {"pos",8} {"neg",8} {"cal",8}");
        var x = trainX.to(device);
        var y = trainY.to(device);
        model.train();
        for (int step = 1; step <= steps; step++)
        {
            int epoch = (step - 1) / StepsPerEpoch;
            using var scope = NewDisposeScope();
            var rows = randint(x.shape[0], new long[] { BatchSize }, generator: g).to(device);
            optimizer.zero_grad();
            var output = objective.Step(model.call(x.index_select(0, rows)), y.index_select(0, rows), epoch);
            output.Loss.Total.backward();
            nn.utils.clip_grad_value_(model.parameters(), 10);
            nn.utils.clip_grad_value_(objective.ProxyParameters(), 10);
            optimizer.step();
            if (step % LogEvery == 0 || step == 1 || step == steps)
            {
                var parts = output.Loss.PartValues().ToDictionary(p => p.Key, p => p.Value);
                Console.WriteLine($"{step,5} {epoch,5} {(output.Similarity.QueueActive ? "on" : "off"),6} {output.Loss.TotalValue,8:F4} " +
                                  $"{parts[LossParts.ProxyPositive],8:F4} {parts[LossParts.ProxyNegative],8:F4} {parts[LossParts.Calibration],8:F5}");
            }
        }

        model.eval();
        using (no_grad())
        {
            Console.WriteLine();
            Console.WriteLine($"Recall@1 (cosine, leave-one-out)        {"raw input",10} {"embedding",10}");
            Console.WriteLine($"  seen classes, new samples ({testY.shape[0]})    {RecallAt1(testX, testY),10:P1} {RecallAt1(model.call(testX.to(device)), testY.to(device)),10:P1}");
            Console.WriteLine($"  unseen classes ({unseenY.shape[0]})              {RecallAt1(unseenX, unseenY),10:P1} {RecallAt1(model.call(unseenX.to(device)), unseenY.to(device)),10:P1}");
        }
        Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>Samples <paramref name="perClass"/> points for classes [first, first + count); labels are 0-based within them.</summary>
    private static (Tensor X, Tensor Y) Sample(Tensor centers, int first, int count, int perClass, Generator g)
    {
        var y = arange(count).repeat_interleave(perClass);
        var signal = centers.narrow(0, first, count).index_select(0, y) + 0.3 * randn(new long[] { y.shape[0], SignalSize }, generator: g);
        var nuisance = 0.6 * randn(new long[] { y.shape[0], InputSize - SignalSize }, generator: g);
        return (cat(new[] { signal, nuisance }, 1), y);
    }

    /// <summary>Fraction of samples whose nearest other sample (cosine) has the same label.</summary>
    private static double RecallAt1(Tensor embeddings, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var e = nn.functional.normalize(embeddings, dim: 1);
        var sim = e.matmul(e.t()) - eye(e.shape[0], dtype: e.dtype, device: e.device) * 4;   // cosines are ≥ −1: self can never win
        var nearest = sim.argmax(1);
        return labels.index_select(0, nearest).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }
}
