namespace ResearchKit.Cli.Tests;

/// <summary>
/// <c>researchkit run --jobs</c> (#14 item 1): an experiment's runs in several worker processes give the same numbers as one
/// process, and the parent is the workers' lifeline (a stop signal, or its death, stops them; a rerun resumes).
/// </summary>
public class LaneTests
{
    private static string Folder(string root) => Path.Combine(root, "table1-smoke");

    private static IEnumerable<string> RunFiles(string root, string name) =>
        Directory.EnumerateFiles(Path.Combine(Folder(root), "runs"), name, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f)).Order();

    [Fact]
    public void Two_worker_processes_give_the_table_and_metric_files_of_one_process()
    {
        using var dir = new TempDir();
        var one = Cli.Run(["run", "table1", "--profile", "smoke", "--out", dir.File("one"), "--jobs", "1"], TimeSpan.FromMinutes(10));
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.DoesNotContain("worker processes", one.Stdout);

        var two = Cli.Run(["run", "table1", "--profile", "smoke", "--out", dir.File("two"), "--jobs", "2"], TimeSpan.FromMinutes(10));
        Assert.True(two.ExitCode == 0, two.ToString());
        Assert.Contains("3 runs in 2 worker processes (--jobs 2)", two.Stdout);
        Assert.Equal(3, two.Stdout.Split('\n').Count(l => l.StartsWith('[') && l.Contains("R@1")));   // every run's line forwarded
        Assert.Equal(1, two.Stdout.Split('\n').Count(l => l.StartsWith("table: ")));                   // one table, the parent's

        Assert.Equal(File.ReadAllText(Path.Combine(Folder(dir.File("one")), "table.csv")), File.ReadAllText(Path.Combine(Folder(dir.File("two")), "table.csv")));
        var csvOne = RunFiles(dir.File("one"), "metrics.csv").ToList();
        Assert.Equal(3, csvOne.Count);
        Assert.Equal(csvOne, RunFiles(dir.File("two"), "metrics.csv"));
        foreach (var f in csvOne)   // bit-identical runs
            Assert.Equal(File.ReadAllText(Path.Combine(dir.File("one"), f)), File.ReadAllText(Path.Combine(dir.File("two"), f)));
    }

    [Fact]
    public void Variant_options_train_only_those_rows_in_every_lane()
    {
        using var dir = new TempDir();
        var r = Cli.Run(["run", "table1", "--profile", "smoke", "--seeds", "1", "--out", dir.Path, "--jobs", "2", "--variant", "PA (s^p only)", "--variant", "PA + s^g"],
            TimeSpan.FromMinutes(10));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("2 runs in 2 worker processes (--jobs 2)", r.Stdout);
        var rows = File.ReadAllLines(Path.Combine(Folder(dir.Path), "table.csv")).Skip(1).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains(rows, l => l.Contains(",PA (s^p only),", StringComparison.Ordinal));
        Assert.Contains(rows, l => l.Contains(",PA + s^g,", StringComparison.Ordinal));
    }

    [Fact]
    public void SIGINT_to_the_parent_stops_every_worker_and_the_same_command_finishes_the_experiment()
    {
        using var dir = new TempDir();
        string[] args = ["run", "table1", "--profile", "smoke", "--out", dir.Path, "--jobs", "2"];
        using var p = Cli.Start(args);
        p.WaitFor(() => p.Stdout.Split('\n').Count(l => l.StartsWith("training 8 epoch(s)")) == 2, TimeSpan.FromMinutes(3), "both workers training");
        Assert.Equal(2, Cli.Children(p.Process.Id).Count);

        p.Signal(Cli.SigInt);   // the parent only, as `kill -INT` does (a terminal's Ctrl-C reaches the workers too)
        var stopped = p.Wait(TimeSpan.FromMinutes(2));

        Assert.True(stopped.ExitCode == 130, stopped.ToString());
        Assert.Equal(2, stopped.Stdout.Split('\n').Count(l => l.StartsWith("stopped during epoch")));
        Assert.Contains("continue with: the same `researchkit run` command", stopped.Stdout);
        Assert.Empty(Cli.ProcessesMentioning(dir.Path));   // no worker left writing

        var again = Cli.Run(args, TimeSpan.FromMinutes(10));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("PA + s^g + L_cal", again.Stdout);
        Assert.All(RunFiles(dir.Path, "metrics.csv"), f =>
            Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7"], File.ReadAllLines(Path.Combine(dir.Path, f)).Skip(1).Select(l => l.Split(',')[0])));
    }

    [Fact]
    public void Workers_stop_on_their_own_when_the_parent_is_killed()
    {
        using var dir = new TempDir();
        using var p = Cli.Start(["run", "table1", "--profile", "smoke", "--out", dir.Path, "--jobs", "2"]);
        p.WaitFor(() => p.Stdout.Split('\n').Count(l => l.StartsWith("training 8 epoch(s)")) == 2, TimeSpan.FromMinutes(3), "both workers training");
        var workers = Cli.Children(p.Process.Id);
        Assert.Equal(2, workers.Count);

        p.Signal(9);
        p.Wait(TimeSpan.FromMinutes(1));

        // Their lifeline (standard input) closed: each stops before its next step, checkpointed, within seconds.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (workers.Any(Alive) && sw.Elapsed < TimeSpan.FromMinutes(1)) Thread.Sleep(200);
        Assert.DoesNotContain(workers, Alive);
        // Stopped, not finished: worker 0's second run (of runs 0 and 2) never completed, which it would have without a lifeline.
        Assert.True(RunFiles(dir.Path, "result.json").Count() < 3, string.Join("\n", RunFiles(dir.Path, "result.json")));
    }

    // Alive and not a zombie (an orphan is reaped by whatever adopted it, which may take a moment).
    private static bool Alive(int pid)
    {
        try { var stat = File.ReadAllText($"/proc/{pid}/stat"); return stat[(stat.LastIndexOf(')') + 2)] != 'Z'; }
        catch (IOException) { return false; }
    }
}
