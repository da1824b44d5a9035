using System.Text.Json;
using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using ResearchKit.Training.Optimization;
using ResearchKit.Training.Runs;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Runs;

public class CheckpointStoreTests
{
    private sealed class Trainee
    {
        public EmbeddingNetwork Net { get; } = Tiny.Network();
        public TinyProxyLoss Loss { get; } = new(3, 6);
        public OptimizerSetup Setup { get; }
        public Trainee() => Setup = OptimizerFactory.AdamW(ParameterGroups.From(Net, Loss), new TrainingConfig { LearningRate = 1e-2 });

        public void Steps(int n)
        {
            for (int i = 0; i < n; i++)
            {
                using var scope = NewDisposeScope();
                var x = randn(8, 1, 8, 8);           // drawn from the default generator, whose state the checkpoint holds
                var y = randint(0, 3, new long[] { 8 });
                Setup.Optimizer.zero_grad();
                Loss.forward(Net.forward(x), y).backward();
                Setup.Optimizer.step();
            }
        }

        public CheckpointState State(int epoch, long step) => new()
        {
            Epoch = epoch, Step = step, Optimizer = Setup.Optimizer,
            Modules = new Dictionary<string, nn.Module> { ["model"] = Net, ["loss"] = Loss },
            Extra = new Dictionary<string, Tensor> { ["queue.ptr"] = tensor(3L), ["queue.labels"] = tensor(new long[] { 1, 2, -1 }) },
            SamplerState = JsonDocument.Parse("""{"seed":7,"epoch":1,"position":24}""").RootElement,
        };

        public CheckpointTargets Targets => new()
        {
            Optimizer = Setup.Optimizer, Modules = new Dictionary<string, nn.Module> { ["model"] = Net, ["loss"] = Loss },
        };
    }

    [Fact]
    public void Resume_restores_model_optimizer_rng_extras_and_sampler_state_exactly()
    {
        using var dir = new TempDir();
        var store = new CheckpointStore(dir.Path);
        manual_seed(11);
        var a = new Trainee();
        a.Steps(3);
        var info = store.Save(a.State(epoch: 1, step: 3));
        a.Steps(3); // uninterrupted continuation

        manual_seed(999); // a different process state
        var b = new Trainee();
        var restored = CheckpointStore.Load(store.PathFor(1), b.Targets);
        Assert.Equal((1, 3L), (restored.Epoch, restored.Step));
        Assert.Equal(3L, restored.Extra["queue.ptr"].item<long>());
        Assert.Equal(new long[] { 1, 2, -1 }, restored.Extra["queue.labels"].data<long>().ToArray());
        Assert.Equal(24, restored.SamplerState!.Value.GetProperty("position").GetInt32());
        b.Steps(3);

        Assert.True(Tiny.SameParameters(a.Net, b.Net));
        Assert.True(Tiny.SameParameters(a.Loss, b.Loss));
        Assert.True(a.Loss.Queue.eq(b.Loss.Queue).all().item<bool>());

        var sidecar = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(Path.ChangeExtension(store.PathFor(1), ".json")), TrainingConfigJson.Options)!;
        Assert.Equal((1, 3L, info.Sha256), (sidecar.Epoch, sidecar.Step, sidecar.Sha256));
        Assert.Equal(new FileInfo(store.PathFor(1)).Length, sidecar.Bytes);
    }

    [Fact]
    public void Killed_write_leaves_the_last_good_checkpoint_loadable()
    {
        using var dir = new TempDir();
        var store = new CheckpointStore(dir.Path, keepLast: 5);
        manual_seed(12);
        var a = new Trainee();
        store.Save(a.State(0, 1));
        a.Steps(1);
        store.Save(a.State(1, 2));
        var good = Tiny.Snapshot(a.Net);
        a.Steps(1);
        store.Save(a.State(2, 3));

        // Simulate a kill while writing epoch 3 (a truncated temporary) and a torn epoch-2 file.
        var full = File.ReadAllBytes(store.PathFor(2));
        File.WriteAllBytes(store.PathFor(3) + AtomicFile.TempMarker + "deadbeef", full[..(full.Length / 3)]);
        File.WriteAllBytes(store.PathFor(2), full[..(full.Length - 100)]);

        var ex = Assert.Throws<InvalidDataException>(() => CheckpointStore.Load(store.PathFor(2), new Trainee().Targets));
        Assert.Contains(store.PathFor(2), ex.Message);

        var b = new Trainee();
        var log = new List<string>();
        var restored = store.LoadLatest(b.Targets, log.Add);
        Assert.NotNull(restored);
        Assert.Equal(1, restored.Epoch);
        Assert.Single(log);
        Assert.Contains("epoch-0002.ckpt", log[0]);
        Assert.All(good, kv => Assert.True(kv.Value.eq(b.Net.get_parameter(kv.Key)!).all().item<bool>(), kv.Key));
        Assert.Equal(3, store.List().Count); // the temporary is not a checkpoint
    }

    [Fact]
    public void Flipped_byte_is_detected_and_pruning_keeps_the_newest()
    {
        using var dir = new TempDir();
        var store = new CheckpointStore(dir.Path, keepLast: 2);
        var a = new Trainee();
        for (int e = 0; e < 4; e++) store.Save(a.State(e, e));
        Assert.Equal(new[] { store.PathFor(3), store.PathFor(2) }, store.List());
        Assert.False(File.Exists(Path.ChangeExtension(store.PathFor(0), ".json")));

        var bytes = File.ReadAllBytes(store.PathFor(3));
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(store.PathFor(3), bytes);
        Assert.Contains("SHA-256", Assert.Throws<InvalidDataException>(() => CheckpointStore.ReadSections(store.PathFor(3))).Message);
        Assert.Equal(2, store.LoadLatest(new Trainee().Targets)!.Epoch);

        File.WriteAllBytes(store.PathFor(2), "this is not a checkpoint at all, just a text file that is long enough to pass the size check"u8.ToArray());
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => CheckpointStore.ReadSections(store.PathFor(2))).Message);
        Assert.Null(store.LoadLatest(new Trainee().Targets));
    }

    [Fact]
    public void A_module_missing_from_the_file_is_named()
    {
        using var dir = new TempDir();
        var store = new CheckpointStore(dir.Path);
        var a = new Trainee();
        store.Save(a.State(0, 0) with { Modules = new Dictionary<string, nn.Module> { ["model"] = a.Net } });
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointStore.Load(store.PathFor(0), a.Targets));
        Assert.Contains("'loss'", ex.Message);
    }

    [Fact]
    public void Schedule_replayed_after_resume_matches_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        var store = new CheckpointStore(dir.Path);
        var cfg = new LrScheduleConfig { StepSize = 3, Gamma = 0.5 };
        var a = new Trainee();
        var sa = LrSchedules.Create(a.Setup.Optimizer, cfg, 20);
        for (int e = 0; e < 7; e++) sa.step();
        store.Save(a.State(7, 7));
        for (int e = 7; e < 11; e++) sa.step();

        var b = new Trainee();
        CheckpointStore.Load(store.PathFor(7), b.Targets);
        var sb = LrSchedules.Create(b.Setup.Optimizer, cfg, 20, completedEpochs: 7);
        for (int e = 7; e < 11; e++) sb.step();
        foreach (var role in a.Setup.Roles)
            Assert.Equal(a.Setup.LearningRate(role)!.Value, b.Setup.LearningRate(role)!.Value, 15);
        Assert.Equal(1e-2 * 0.125, b.Setup.LearningRate(ParamGroupRole.Backbone)!.Value, 12);
    }
}
