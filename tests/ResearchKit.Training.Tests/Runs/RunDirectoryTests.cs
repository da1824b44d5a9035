using ResearchKit.Training.Config;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Runs;

public class RunDirectoryTests
{
    [Fact]
    public void Writes_config_metrics_tensorboard_and_result()
    {
        using var dir = new TempDir();
        var config = new TrainingConfig { Dataset = "glyphs-tiny", Epochs = 3 };
        using (var run = RunDirectory.Create(dir.Path, "cp-pa", config))
        {
            Assert.Equal(TrainingConfigJson.Serialize(config), TrainingConfigJson.Serialize(run.LoadConfig()));
            run.AppendEpoch(0, 10, new Dictionary<string, double> { ["loss"] = 1.5, ["lr"] = 1e-4 });
            run.AppendEpoch(1, 20, new Dictionary<string, double> { ["loss"] = 0.75, ["lr"] = 1e-4, ["recall@1"] = 0.5 });
            run.WriteResult(new { bestEpoch = 1, recallAt1 = 0.5 });

            var csv = File.ReadAllLines(run.MetricsCsvPath);
            Assert.Equal(new[] { "epoch,step,loss,lr,recall@1", "0,10,1.5,0.0001,", "1,20,0.75,0.0001,0.5" }, csv);
            var rows = run.ReadEpochs();
            Assert.Equal(2, rows.Count);
            Assert.Equal(0.5, rows[1].Metrics["recall@1"]);
            Assert.Equal(20, rows[1].Step);
            var events = Directory.GetFiles(run.TensorBoardDir, "events.out.tfevents.*");
            Assert.Single(events);
            Assert.True(new FileInfo(events[0]).Length > 100);
            Assert.Contains("\"bestEpoch\": 1", File.ReadAllText(run.ResultPath));
        }

        // Resume keeps the rows and appends to the same files.
        using var reopened = RunDirectory.Open(Path.Combine(dir.Path, "cp-pa"));
        reopened.AppendEpoch(2, 30, new Dictionary<string, double> { ["loss"] = 0.5 });
        Assert.Equal("2,30,0.5,,", File.ReadAllLines(reopened.MetricsCsvPath)[^1]);
        Assert.Equal(3, reopened.ReadEpochs().Count);
    }

    [Fact]
    public void Truncating_to_a_resumed_epoch_rewrites_both_metric_files_and_tensorboard()
    {
        using var dir = new TempDir();
        using var run = RunDirectory.Create(dir.Path, "r", new TrainingConfig());
        for (int e = 0; e < 4; e++) run.AppendEpoch(e, 10 * (e + 1), new Dictionary<string, double> { ["loss"] = 1.0 / (e + 1), ["nan"] = double.NaN });
        var csvAfterTwo = string.Join("\n", File.ReadAllLines(run.MetricsCsvPath).Take(3));

        Assert.Equal(2, run.TruncateEpochs(2));

        Assert.Equal(csvAfterTwo, string.Join("\n", File.ReadAllLines(run.MetricsCsvPath)));
        Assert.Equal(new[] { 0, 1 }, run.ReadEpochs().Select(r => r.Epoch));
        Assert.True(double.IsNaN(run.ReadEpochs()[1].Metrics["nan"]));   // written as the string "NaN", read back as NaN
        Assert.Contains("\"nan\":\"NaN\"", File.ReadAllLines(Path.Combine(run.Root, RunLayout.MetricsJsonl))[1]);
        Assert.Single(Directory.GetFiles(run.TensorBoardDir));
        Assert.Equal(0, run.TruncateEpochs(2));
        Assert.DoesNotContain(Directory.GetFiles(run.Root), AtomicFile.IsTemporary);
    }

    [Fact]
    public void A_partial_last_line_left_by_an_interrupted_append_is_dropped_and_a_bad_line_is_named()
    {
        using var dir = new TempDir();
        using (var run = RunDirectory.Create(dir.Path, "r", new TrainingConfig()))
            run.AppendEpoch(0, 10, new Dictionary<string, double> { ["loss"] = 1 });
        var jsonl = Path.Combine(dir.Path, "r", "metrics.jsonl");
        File.AppendAllText(jsonl, "{\"epoch\":1,\"step\":20,\"lo");   // what an older version's killed append left

        var ex = Assert.Throws<InvalidDataException>(() => RunDirectory.ReadEpochs(Path.Combine(dir.Path, "r")));
        Assert.Contains(jsonl + ":2", ex.Message);   // report names the file and line

        var messages = new List<string>();
        using (var reopened = RunDirectory.Open(Path.Combine(dir.Path, "r"), messages.Add))
        {
            Assert.Equal(1, reopened.EpochCount);
            reopened.TruncateEpochs(1);
        }
        Assert.Contains(messages, m => m.Contains("partial last line"));
        Assert.Single(RunDirectory.ReadEpochs(Path.Combine(dir.Path, "r")));

        File.WriteAllText(jsonl, "{\"epoch\":0}\nnot json\n{\"epoch\":2}\n");
        var mid = Assert.Throws<InvalidDataException>(() => RunDirectory.Open(Path.Combine(dir.Path, "r")));
        Assert.Contains(jsonl + ":2", mid.Message);
    }

    [Fact]
    public void A_second_writer_is_refused_a_started_run_is_not_restarted_and_a_run_that_never_started_is_retried()
    {
        using var dir = new TempDir();
        using (var run = RunDirectory.Create(dir.Path, "a", new TrainingConfig()))
        {
            var locked = Assert.Throws<FolderLockedException>(() => RunDirectory.Create(dir.Path, "a", new TrainingConfig()));
            Assert.Contains($"pid {Environment.ProcessId} on host {Environment.MachineName}", locked.Message);
            Assert.Throws<FolderLockedException>(() => RunDirectory.Open(run.Root));
        }
        // Released, and the run never wrote an epoch: a new start replaces its config.
        using (var retry = RunDirectory.Create(dir.Path, "a", new TrainingConfig { Epochs = 7 }))
        {
            Assert.Equal(7, retry.LoadConfig().Epochs);
            retry.AppendEpoch(0, 1, new Dictionary<string, double> { ["loss"] = 1 });
        }
        var started = Assert.Throws<ArgumentException>(() => RunDirectory.Create(dir.Path, "a", new TrainingConfig()));
        Assert.Contains("--resume", started.Message);
        File.WriteAllText(dir.File("b"), "");
        Directory.CreateDirectory(dir.File("c"));
        File.WriteAllText(Path.Combine(dir.File("c"), "notes.txt"), "mine");
        Assert.Contains("not a run folder", Assert.Throws<ArgumentException>(() => RunDirectory.Create(dir.Path, "c", new TrainingConfig())).Message);
    }

    [Fact]
    public void Bad_names_and_existing_runs_are_rejected()
    {
        using var dir = new TempDir();
        using var run = RunDirectory.Create(dir.Path, "a", new TrainingConfig());
        Assert.Throws<FolderLockedException>(() => RunDirectory.Create(dir.Path, "a", new TrainingConfig()));
        Assert.Throws<ArgumentException>(() => RunDirectory.Create(dir.Path, "../x", new TrainingConfig()));
        Assert.Throws<ArgumentException>(() => run.AppendEpoch(0, 0, new Dictionary<string, double> { ["a,b"] = 1 }));
        Assert.Throws<ArgumentException>(() => run.AppendEpoch(0, 0, new Dictionary<string, double> { ["epoch"] = 1 }));
        Assert.Throws<DirectoryNotFoundException>(() => RunDirectory.Open(dir.File("missing")));
    }

    [Fact]
    public void Atomic_write_replaces_and_leaves_no_temporaries()
    {
        using var dir = new TempDir();
        var path = dir.File("x.json");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, _ => throw new InvalidOperationException("boom")));
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
