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
            Assert.Equal(0.5, rows[1]["recall@1"]!.GetValue<double>());
            Assert.Equal(20, rows[1]["step"]!.GetValue<long>());
            var events = Directory.GetFiles(run.TensorBoardDir, "events.out.tfevents.*");
            Assert.Single(events);
            Assert.True(new FileInfo(events[0]).Length > 100);
            Assert.Contains("\"bestEpoch\": 1", File.ReadAllText(run.ResultPath));
        }

        // Resume appends to the same files.
        using var reopened = RunDirectory.Open(Path.Combine(dir.Path, "cp-pa"));
        reopened.AppendEpoch(2, 30, new Dictionary<string, double> { ["loss"] = 0.5 });
        Assert.Equal("2,30,0.5,,", File.ReadAllLines(reopened.MetricsCsvPath)[^1]);
        Assert.Equal(3, reopened.ReadEpochs().Count);
    }

    [Fact]
    public void Bad_names_and_existing_runs_are_rejected()
    {
        using var dir = new TempDir();
        using var run = RunDirectory.Create(dir.Path, "a", new TrainingConfig());
        Assert.Throws<ArgumentException>(() => RunDirectory.Create(dir.Path, "a", new TrainingConfig()));
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
