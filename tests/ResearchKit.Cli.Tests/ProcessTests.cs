namespace ResearchKit.Cli.Tests;

/// <summary>#12 items 1 and 2: one writer per folder, and the installed command is the trainer process (signals reach it).</summary>
public class ProcessTests
{
    [Fact]
    public void A_second_run_of_the_same_experiment_folder_is_refused_at_once_naming_the_first()
    {
        using var dir = new TempDir();
        string[] args = ["run", "table1", "--profile", "smoke", "--out", dir.Path];
        using var first = Cli.Start(args);
        var holder = Path.Combine(dir.Path, "table1-smoke", ".shard-0-of-1.lock.json");
        first.WaitFor(() => File.Exists(holder), TimeSpan.FromMinutes(2), "the first run's lock");

        var second = Cli.Run(args, TimeSpan.FromMinutes(1));

        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains($"in use by pid {first.Process.Id} on host {Environment.MachineName}", second.Stderr);
        Assert.DoesNotContain("   at ", second.Stderr);

        // The first one is unaffected: stop it and check it wrote each epoch once.
        first.WaitFor(() => first.Stdout.Contains("training 8 epoch(s)"), TimeSpan.FromMinutes(2), "training");
        first.Signal(Cli.SigInt);
        var r = first.Wait(TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 130, r.ToString());
        Assert.Contains("stopped during epoch", r.Stdout);
        var jsonl = Path.Combine(dir.Path, "table1-smoke", "runs", "glyphs-tiny", "pa-s-p-only", "seed-1", "metrics.jsonl");
        var epochs = File.Exists(jsonl) ? File.ReadAllLines(jsonl).Select(l => l.Split(',')[0]).ToList() : [];
        Assert.Equal(epochs.Distinct().Count(), epochs.Count);
    }

    [Fact]
    public void The_installed_command_is_the_trainer_itself_and_SIGTERM_stops_it_cleanly_and_resumably()
    {
        using var dir = new TempDir();
        var cfg = Cli.WriteQuickConfig(dir.Path, epochs: 3);
        var run = dir.File("run");
        using var p = Cli.Start(["train", "--config", cfg, "--out", run]);
        p.WaitFor(() => p.Stdout.Contains("epoch 1 done"), TimeSpan.FromMinutes(3), "the first epoch");

        // The launcher exec'd the apphost: the pid we hold is the trainer, with no wrapper or child process around it.
        var exe = new FileInfo($"/proc/{p.Process.Id}/exe").LinkTarget;
        Assert.EndsWith("/.tools/researchkit-app/ResearchKit.Cli", exe);
        Assert.Empty(Cli.Children(p.Process.Id));

        p.Signal(Cli.SigTerm);
        var stopped = p.Wait(TimeSpan.FromMinutes(2));

        Assert.True(stopped.ExitCode == 143, stopped.ToString());
        Assert.Matches(@"stopped during epoch \d \(step \d+\): \d epoch\(s\) checkpointed in .*; continue with: researchkit train --resume --out ", stopped.Stdout);
        Assert.Empty(Cli.ProcessesMentioning(run));   // nothing left writing the folder

        var resumed = Cli.Run("train", "--resume", "--out", run);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("finished after 3 epochs", resumed.Stdout);
        Assert.Equal(["0", "1", "2"], File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1).Select(l => l.Split(',')[0]));
    }

    [Fact]
    public void A_config_that_differs_under_resume_is_refused_naming_both()
    {
        using var dir = new TempDir();
        var cfg = Cli.WriteQuickConfig(dir.Path, epochs: 1);
        var run = dir.File("run");
        Assert.Equal(0, Cli.Run("train", "--config", cfg, "--out", run).ExitCode);
        File.WriteAllText(dir.File("other.json"), File.ReadAllText(cfg).Replace("\"epochs\": 1", "\"epochs\": 2"));

        var r = Cli.Run("train", "--resume", "--config", dir.File("other.json"), "--out", run);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains($"differs from the run's {Path.Combine(run, "config.json")} (epochs: 2 vs 1)", r.Stderr);
        Assert.Equal(0, Cli.Run("train", "--resume", "--config", cfg, "--out", run).ExitCode);
    }
}
