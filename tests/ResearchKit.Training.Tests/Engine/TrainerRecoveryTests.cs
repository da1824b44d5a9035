using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Progress;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Engine;

/// <summary>Collects the trainer's messages (resume points, restarts) for assertions.</summary>
internal sealed class MessageLog : ITrainingProgress
{
    public List<string> Messages { get; } = [];
    public void EpochStarted(int epoch, int epochs, int stepsPerEpoch) { }
    public void StepCompleted(ProgressUpdate update) { }
    public void EpochCompleted(int epoch, IReadOnlyDictionary<string, double> metrics) { }
    public void Message(string text) => Messages.Add(text);
    public void Dispose() { }
}

/// <summary>Resume after damage, checkpoints of another run, a second writer, and starts that fail before anything is written.</summary>
public class TrainerRecoveryTests(GlyphsTinyFixture fixture) : IClassFixture<GlyphsTinyFixture>
{
    // Three short epochs; smaller than TrainerTests.Quick's CP settings do not matter here.
    private static TrainingConfig Quick => Profiles.Smoke.Base with { Epochs = 3, EvalEveryEpochs = 1, DeviationEveryEpochs = 1 };

    private TrainerOptions Options(long? stopAfter = null, ITrainingProgress? progress = null) =>
        new() { Dataset = fixture.Dataset, StopAfterSteps = stopAfter, Progress = progress ?? new QuietProgress() };

    private static string Ckpt(string run, int epoch) => new CheckpointStore(Path.Combine(run, "checkpoints")).PathFor(epoch);

    private static void Truncate(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.SetLength(fs.Length / 2);
    }

    private static void AssertSameMetricFiles(string expectedRun, string actualRun)
    {
        foreach (var f in new[] { "metrics.csv", "metrics.jsonl" })
            Assert.Equal(File.ReadAllText(Path.Combine(expectedRun, f)), File.ReadAllText(Path.Combine(actualRun, f)));
    }

    [Theory]
    [InlineData(false)]   // the latest checkpoint is truncated: resume from the one before, drop the row after it
    [InlineData(true)]    // no usable checkpoint at all: restart from epoch 0, announced, all rows dropped
    public void Resume_after_a_damaged_checkpoint_leaves_metric_files_equal_to_an_uninterrupted_runs(bool noneUsable)
    {
        using var dir = new TempDir();
        var full = Trainer.Train(Quick, dir.File("full"), Options());
        long perEpoch = full.Steps / Quick.Epochs;
        var killed = Trainer.Train(Quick, dir.File("killed"), Options(stopAfter: 2 * perEpoch + perEpoch / 2));
        Assert.Equal(2, killed.EpochsCompleted);
        Assert.Equal(2, RunDirectory.ReadEpochs(dir.File("killed")).Count);
        Truncate(Ckpt(dir.File("killed"), 2));
        if (noneUsable) Truncate(Ckpt(dir.File("killed"), 1));

        var log = new MessageLog();
        var resumed = Trainer.Resume(dir.File("killed"), Options(progress: log));

        Assert.True(resumed.Completed);
        Assert.Equal(full.FinalMetrics.OrderBy(kv => kv.Key), resumed.FinalMetrics.OrderBy(kv => kv.Key));
        AssertSameMetricFiles(dir.File("full"), dir.File("killed"));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.File("killed"), "tensorboard")));
        if (noneUsable)
        {
            Assert.Contains(log.Messages, m => m.Contains("restarting") && m.Contains("from epoch 0"));
            Assert.Contains(log.Messages, m => m.Contains("dropped 2 metric row(s)"));
        }
        else
        {
            Assert.Contains(log.Messages, m => m.Contains("skipping checkpoint") && m.Contains("epoch-0002.ckpt"));
            Assert.Contains(log.Messages, m => m.Contains("resumed") && m.Contains("at epoch 1"));
            Assert.Contains(log.Messages, m => m.Contains("dropped 1 metric row(s)"));
        }
    }

    [Fact]
    public void A_checkpoint_of_another_config_is_refused_naming_both()
    {
        using var dir = new TempDir();
        var longer = Quick with { Epochs = 4 };
        Trainer.Train(longer, dir.File("long"), Options(stopAfter: 3 * (840 / Quick.BatchSize)));   // 3 epochs of 26 steps
        Trainer.Train(Quick, dir.File("short"), Options(stopAfter: 840 / Quick.BatchSize / 2));   // stopped in epoch 1: no checkpoint yet
        Directory.CreateDirectory(Path.Combine(dir.File("short"), "checkpoints"));
        File.Copy(Ckpt(dir.File("long"), 3), Ckpt(dir.File("short"), 3));

        var ex = Assert.Throws<CheckpointMismatchException>(() => Trainer.Resume(dir.File("short"), Options()));

        Assert.Contains(Ckpt(dir.File("short"), 3), ex.Message);
        Assert.Contains(ConfigFingerprint.Short(ConfigFingerprint.Of(longer)), ex.Message);
        Assert.Contains(ConfigFingerprint.Short(ConfigFingerprint.Of(Quick)), ex.Message);
        Assert.Contains("epochs: 4 vs 3", ex.Message);
        Assert.False(File.Exists(Path.Combine(dir.File("short"), "result.json")));
    }

    [Fact]
    public void Resume_refuses_a_config_with_another_recipe_but_takes_another_device_setting()
    {
        using var dir = new TempDir();
        Trainer.Train(Quick, dir.File("run"), Options(stopAfter: 5));
        var ex = Assert.Throws<ArgumentException>(() => Trainer.Resume(dir.File("run"), Options(), expected: Quick with { BatchSize = 16 }));
        Assert.Contains("batchSize: 16 vs 32", ex.Message);
        Assert.Contains(Path.Combine(dir.File("run"), "config.json"), ex.Message);
        // Threads and workers say where it runs, not what it computes: accepted.
        Assert.True(Trainer.Resume(dir.File("run"), Options(), expected: Quick with { Workers = 1 }).Completed);
    }

    [Fact]
    public void A_start_that_fails_its_checks_writes_nothing_and_the_folder_can_be_retried()
    {
        using var dir = new TempDir();
        var run = dir.File("run");
        var device = Assert.Throws<ArgumentException>(() => Trainer.Train(Quick with { Device = "cuda" }, run, Options()));
        Assert.Contains("TrainingConfig.Device 'cuda' is not available", device.Message);
        Assert.False(Directory.Exists(run));
        var size = Assert.Throws<ArgumentException>(() => Trainer.Train(Quick with { ImageSize = 8 }, run, Options()));
        Assert.Contains("TrainingConfig.ImageSize 8", size.Message);
        var batch = Assert.Throws<ArgumentException>(() => Trainer.Train(Quick with { BatchSize = 5000 }, run, Options()));
        Assert.Contains("TrainingConfig.BatchSize must be at most the 840 training images", batch.Message);
        Assert.False(Directory.Exists(run));

        // A folder left by an older version's failed start (config.json only) is not a started run either.
        Directory.CreateDirectory(run);
        TrainingConfigJson.Save(Quick with { Epochs = 9 }, Path.Combine(run, "config.json"));
        var result = Trainer.Train(Quick with { Epochs = 1 }, run, Options());
        Assert.True(result.Completed);
        Assert.Equal(1, RunDirectory.ReadConfig(run).Epochs);
    }

    [Fact]
    public void A_second_writer_of_a_run_folder_is_refused_at_once()
    {
        using var dir = new TempDir();
        using var holder = FolderLock.Acquire(dir.File("run"));
        var ex = Assert.Throws<FolderLockedException>(() => Trainer.Train(Quick, dir.File("run"), Options()));
        Assert.Contains($"pid {Environment.ProcessId}", ex.Message);
        Assert.All(Directory.EnumerateFileSystemEntries(dir.File("run")), f => Assert.True(FolderLock.IsLockFile(f), f));
    }
}
