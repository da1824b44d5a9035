namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// <c>researchkit notebook run</c> and dotnet-repl execute a notebook alike: the same cells, the same output kinds. The CLI
/// runs as its own process, as a user runs it (the test host already holds its own TorchSharp and libtorch).
/// </summary>
[Collection(NotebookRuns.Name)]
public class HostParityTests
{
    [Fact]
    public void Cli_and_dotnet_repl_give_the_smoke_notebook_the_same_cells_and_output_kinds()
    {
        using var dir = new TempDir();
        var inputs = new Dictionary<string, string> { ["profile"] = "smoke", ["exportFigures"] = "false", ["tsneIterations"] = "250" };
        var repl = DotnetRepl.Execute("notebooks/00-smoke.ipynb", dir.File("repl.ipynb"), inputs, TimeSpan.FromMinutes(5));
        Assert.True(repl.ExitCode == 0, repl.Output);

        var cli = RunCli(["notebook", "run", "notebooks/00-smoke.ipynb", "--out", dir.File("cli"),
            .. inputs.SelectMany(p => new[] { "--param", $"{p.Key}={p.Value}" })]);
        Assert.True(cli.ExitCode == 0, cli.Output);

        var replKinds = ExecutedNotebook.OutputTypes(dir.File("repl.ipynb"));
        var cliKinds = ExecutedNotebook.OutputTypes(dir.File("cli/00-smoke.ipynb"));
        Assert.Equal(replKinds, cliKinds);
        Assert.Contains(replKinds, k => k.Contains("display_data"));
        Assert.Equal(ExecutedNotebook.Cells(dir.File("repl.ipynb")).Count, ExecutedNotebook.Cells(dir.File("cli/00-smoke.ipynb")).Count);
    }

    private static (int ExitCode, string Output) RunCli(IEnumerable<string> args)
    {
        // The CLI build next to this test's (same configuration): src/ResearchKit.Cli/bin/<cfg>/net10.0/<rid>/ResearchKit.Cli.dll.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var rid = testBin.Name;
        var configuration = testBin.Parent!.Parent!.Name;
        var cli = Path.Combine(RepoPaths.Root, "src", "ResearchKit.Cli", "bin", configuration, "net10.0", rid, "ResearchKit.Cli.dll");
        Assert.True(File.Exists(cli), $"the CLI is not built at {cli}");
        var run = DotnetRepl.Dotnet([cli, .. args], TimeSpan.FromMinutes(5));
        return (run.ExitCode, run.Output);
    }
}
