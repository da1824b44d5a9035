using System.CommandLine;
using ResearchKit.Cli;
using ResearchKit.Cli.Commands;
using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Tests;

/// <summary>`researchkit notebook run|strip` as a user calls it: the CLI's command tree, its exit codes and messages.</summary>
[Collection(NotebookRuns.Name)]
public class NotebookCommandTests
{
    private static (int Exit, string Out, string Err) Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Program.BuildRoot().Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string Stdout(string executedPath, int cellIndex) =>
        string.Concat(NotebookDocument.Load(executedPath).Cells[cellIndex].Json["outputs"]!.AsArray()
            .Where(o => o!["output_type"]!.GetValue<string>() == "stream").Select(o => NotebookJson.JoinLines(o!["text"])));

    [Fact]
    public void Parameters_parse_as_name_equals_value_and_the_last_one_wins()
    {
        var p = NotebookCommand.ParseParameters(["epochs=2", " profile =smoke", "expr=a=b", "epochs=3", "empty="]);

        Assert.Equal(new Dictionary<string, string> { ["epochs"] = "3", ["profile"] = "smoke", ["expr"] = "a=b", ["empty"] = "" }, p);
        Assert.Throws<ArgumentException>(() => NotebookCommand.ParseParameters(["novalue"]));
        Assert.Throws<ArgumentException>(() => NotebookCommand.ParseParameters(["=value"]));
    }

    [Fact]
    public void Run_injects_parameters_and_writes_the_executed_copy()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("params.ipynb",
            NewCell.Code(RepoPaths.KitReferenceCell),
            NewCell.Code("int epochs = Parameter(\"epochs\", 30);\nstring profile = Parameter(\"profile\", \"default\");", "parameters"),
            NewCell.Code("Console.WriteLine($\"{profile} {epochs}\");"));

        var (exit, stdout, stderr) = Cli("notebook", "run", nb, "--param", "epochs=2", "-p", "profile=smoke", "--out", dir.File("out"));

        Assert.True(exit == 0, stderr);
        Assert.Contains("1 passed, 0 failed", stdout);
        Assert.Equal("smoke 2\n", Stdout(dir.File("out/params.ipynb"), 2));
    }

    [Fact]
    public void Bad_parameters_exit_2_and_run_nothing()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("p.ipynb", NewCell.Code(RepoPaths.KitReferenceCell), NewCell.Code("int epochs = Parameter(\"epochs\", 30);", "parameters"),
            NewCell.Code("Console.WriteLine(epochs);"));

        var malformed = Cli("notebook", "run", nb, "--param", "epochs", "--out", dir.File("out"));
        Assert.Equal(2, malformed.Exit);
        Assert.Contains("name=value", malformed.Err);

        var undeclared = Cli("notebook", "run", nb, "--param", "seeds=3", "--out", dir.File("out"));
        Assert.Equal(2, undeclared.Exit);
        Assert.Contains("p.ipynb does not declare 'seeds'", undeclared.Err);
        Assert.Contains("it declares: epochs", undeclared.Err);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void A_failing_cell_exits_1_naming_notebook_and_cell()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("fails.ipynb",
            NewCell.Markdown("# fails"),
            NewCell.Code("var ok = 1;"),
            NewCell.Code("Console.WriteLine(\"before\");\nthrow new InvalidOperationException(\"boom\");"),
            NewCell.Code("Console.WriteLine(\"never\");"));

        var (exit, stdout, stderr) = Cli("notebook", "run", nb, "--out", dir.File("out"));

        Assert.Equal(1, exit);
        Assert.Contains("✗ fails.ipynb, cell 3 (id cell-3)", stderr);
        Assert.Contains("boom", stderr);
        Assert.Contains("0 passed, 1 failed", stdout);
        Assert.Contains("before\n", Stdout(dir.File("out/fails.ipynb"), 2)); // the executed copy up to the failure
    }

    [Fact]
    public void Strip_check_exits_1_on_a_notebook_with_outputs_and_0_once_stripped()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("clean.ipynb", NewCell.Markdown("# clean"), NewCell.Code("Console.WriteLine(\"x\");"));
        Assert.Equal(0, Cli("notebook", "run", nb, "--out", dir.File("out")).Exit);
        var executed = dir.File("out/clean.ipynb");

        var clean = Cli("notebook", "strip", "--check", nb);
        var dirty = Cli("notebook", "strip", "--check", executed);
        var strip = Cli("notebook", "strip", executed);
        var after = Cli("notebook", "strip", "--check", dir.File("out"));

        Assert.Equal((0, "1 notebooks clean\n"), (clean.Exit, clean.Out));
        Assert.Equal(1, dirty.Exit);
        Assert.Contains("not clean: ", dirty.Err);
        Assert.Equal(0, strip.Exit);
        Assert.Contains("1 of 1 notebooks changed", strip.Out);
        Assert.Equal(0, after.Exit);
        Assert.Equal(File.ReadAllBytes(nb), File.ReadAllBytes(executed));
    }

    [Fact]
    public void A_folder_run_passes_every_param_to_every_notebook_and_checks_all_before_running()
    {
        using var dir = new TempDir();
        var folder = dir.File("nbs");
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "a", "b" })
            NotebookDocument.Create([
                NewCell.Code(RepoPaths.KitReferenceCell),
                NewCell.Code("string profile = Parameter(\"profile\", \"default\");\nint seeds = Parameter(\"seeds\", 0);", "parameters"),
                NewCell.Code($"Console.WriteLine(\"{name} \" + profile + \" \" + seeds);"),
            ]).Save(Path.Combine(folder, $"{name}.ipynb"));
        NotebookDocument.Create([NewCell.Code("throw new Exception(\"an include file is not run\");")]).Save(Path.Combine(folder, "_include.ipynb"));

        var run = Cli("notebook", "run", folder, "--param", "profile=smoke", "--param", "seeds=2", "--out", dir.File("out"));

        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("2 passed, 0 failed", run.Out);
        Assert.Equal("a smoke 2\n", Stdout(dir.File("out/a.ipynb"), 2));
        Assert.Equal("b smoke 2\n", Stdout(dir.File("out/b.ipynb"), 2));

        // A notebook that does not declare a --param: reported for that notebook, and nothing runs.
        NotebookDocument.Create([NewCell.Code(RepoPaths.KitReferenceCell), NewCell.Code("string profile = Parameter(\"profile\", \"default\");", "parameters"),
                NewCell.Code("Console.WriteLine(profile);")])
            .Save(Path.Combine(folder, "c.ipynb"));
        var partial = Cli("notebook", "run", folder, "--param", "profile=smoke", "--param", "seeds=2", "--out", dir.File("out2"));

        Assert.Equal(2, partial.Exit);
        Assert.Contains("c.ipynb does not declare 'seeds'", partial.Err);
        Assert.DoesNotContain("a.ipynb", partial.Err);
        Assert.Contains("Nothing ran", partial.Err);
        Assert.False(Directory.Exists(dir.File("out2")));
    }
}
