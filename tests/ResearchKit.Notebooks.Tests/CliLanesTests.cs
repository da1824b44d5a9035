using System.Runtime.CompilerServices;
using ResearchKit.Notebooks.Running;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// Notebooks that train in the kernel: the notebook tests pin RESEARCHKIT_CLI=off so that a <c>researchkit</c> command
/// installed in the checkout (possibly another build) never trains their runs; <see cref="CliLanesTests"/> covers the
/// hand-over to the command with explicit paths and fake commands.
/// </summary>
internal static class KernelTrainingOnly
{
    [ModuleInitializer]
    internal static void Pin() => Environment.SetEnvironmentVariable(CliLanes.EnvironmentVariable, "off");
}

/// <summary><see cref="CliLanes"/>: when to hand runs to <c>researchkit run --jobs auto</c>, which command, and the hand-over.</summary>
public class CliLanesTests
{
    [Fact]
    public void Lanes_are_the_cores_over_the_threads_per_run_on_a_cpu_profile_with_runs_missing()
    {
        var cpu = Profiles.Get("default");
        Assert.Equal(1, cpu.Base.Threads);
        Assert.Equal(2, CliLanes.Lanes(cpu, missingRuns: 9, cores: 2));
        Assert.Equal(4, CliLanes.Lanes(cpu, missingRuns: 4, cores: 16));
        Assert.Equal(1, CliLanes.Lanes(cpu, missingRuns: 1, cores: 2));
        Assert.Equal(1, CliLanes.Lanes(cpu, missingRuns: 0, cores: 2));
        Assert.Equal(1, CliLanes.Lanes(cpu, missingRuns: 9, cores: 1));
        Assert.Equal(1, CliLanes.Lanes(cpu with { Base = cpu.Base with { Device = "cuda" } }, missingRuns: 9, cores: 16));
        Assert.Equal(1, CliLanes.Lanes(cpu with { Base = cpu.Base with { Threads = 0 } }, missingRuns: 9, cores: 16));
    }

    [Fact]
    public void Locate_takes_the_variable_then_tools_in_a_parent_folder_then_the_path()
    {
        using var dir = new TempDir();
        var nested = Directory.CreateDirectory(Path.Combine(dir.Path, "repo", "notebooks")).FullName;
        var onPath = Directory.CreateDirectory(Path.Combine(dir.Path, "bin")).FullName;
        File.WriteAllText(Path.Combine(onPath, "researchkit"), "");
        Assert.Null(CliLanes.Locate(null, nested, null));
        Assert.Equal(Path.Combine(onPath, "researchkit"), CliLanes.Locate(null, nested, onPath));
        var tools = Directory.CreateDirectory(Path.Combine(dir.Path, "repo", ".tools")).FullName;
        File.WriteAllText(Path.Combine(tools, "researchkit"), "");
        Assert.Equal(Path.Combine(tools, "researchkit"), CliLanes.Locate(null, nested, onPath));
        var named = dir.File("my-researchkit");
        File.WriteAllText(named, "");
        Assert.Equal(named, CliLanes.Locate(named, nested, onPath));
        Assert.Null(CliLanes.Locate(dir.File("absent"), nested, onPath));
        Assert.Null(CliLanes.Locate("off", nested, onPath));
        Assert.Null(CliLanes.Locate("OFF", nested, onPath));
    }

    [Fact]
    public void Mismatch_accepts_only_the_same_build_of_the_kit()
    {
        using var dir = new TempDir();
        var app = Directory.CreateDirectory(dir.File("researchkit-app")).FullName;
        var launcher = dir.File("researchkit");
        File.WriteAllText(launcher, "");
        var core = typeof(ResearchKit.Metrics.RetrievalEvaluator).Assembly.Location;
        var training = typeof(ExperimentRunner).Assembly.Location;
        Assert.Contains("not found", CliLanes.Mismatch(launcher));
        File.Copy(core, Path.Combine(app, Path.GetFileName(core)));
        File.Copy(training, Path.Combine(app, Path.GetFileName(training)));
        Assert.Null(CliLanes.Mismatch(launcher));
        // Another assembly under the training assembly's name: another build.
        File.Copy(typeof(ResearchKit.Data.ZeroShotDataset).Assembly.Location, Path.Combine(app, Path.GetFileName(training)), overwrite: true);
        Assert.Contains("another build", CliLanes.Mismatch(launcher));
    }

    [Fact]
    public void Run_passes_the_experiment_and_forwards_the_command_lines()
    {
        using var dir = new TempDir();
        var cli = FakeCli(dir, "echo \"args: $*\"\necho 'to stderr' >&2\nexit 0\n");
        var lines = new List<string>();
        int code = CliLanes.Run(cli, ExperimentRegistry.Get("table1"), Profiles.Get("smoke"), 2, dir.File("runs"), lines.Add);
        Assert.Equal(0, code);
        Assert.Contains($"args: run table1 --profile smoke --seeds 2 --out {dir.File("runs")} --jobs auto --stdin-lifeline", lines);
        Assert.Contains("to stderr", lines);
        lines.Clear();
        Assert.Equal(0, CliLanes.Run(cli, ExperimentRegistry.Get("table4"), Profiles.Get("smoke"), 3, dir.File("runs"), lines.Add,
            variants: ["Proxy Anchor", "CP+PA"]));
        Assert.Contains($"args: run table4 --profile smoke --seeds 3 --out {dir.File("runs")} --jobs auto --stdin-lifeline " +
            "--variant Proxy Anchor --variant CP+PA", lines);
    }

    [Fact]
    public void Cancellation_sends_stop_on_the_lifeline_and_returns_the_commands_exit_code()
    {
        using var dir = new TempDir();
        // Waits for its standard input like the real command's lifeline: `stop` ends it with 143, as a stop request does.
        var cli = FakeCli(dir, "echo started\nread line\necho \"got $line\"\n[ \"$line\" = stop ] && exit 143\nexit 3\n");
        using var cancel = new CancellationTokenSource();
        var lines = new List<string>();
        int code = CliLanes.Run(cli, ExperimentRegistry.Get("table1"), Profiles.Get("smoke"), 1, dir.File("runs"), line =>
        {
            lock (lines) lines.Add(line);
            if (line == "started") cancel.Cancel();
        }, cancel.Token);
        Assert.Equal(143, code);
        Assert.Contains("got stop", lines);
    }

    private static string FakeCli(TempDir dir, string body)
    {
        var path = dir.File("researchkit");
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
