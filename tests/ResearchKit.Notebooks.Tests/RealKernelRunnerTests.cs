using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Running;

namespace ResearchKit.Notebooks.Tests;

/// <summary>The headless runner on the real .NET Interactive C# kernel: state, directives, parameters, failures, executed copies.</summary>
[Collection(NotebookRuns.Name)]
public class RealKernelRunnerTests
{
    private static string Stdout(InteractiveDocument executed, int cell) =>
        string.Concat(executed.Elements[cell].Outputs.OfType<TextElement>().Select(t => t.Text));

    [Fact]
    public async Task State_usings_and_top_level_await_carry_across_cells_and_values_display()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("state.ipynb",
            NewCell.Markdown("# state"),
            NewCell.Code("using System.Text;\nrecord Point(int X, int Y);\nint Twice(int v) => 2 * v;\nvar sb = new StringBuilder(\"a\");"),
            NewCell.Code("await Task.Delay(1);\nsb.Append(Twice(21));\nConsole.WriteLine(sb);\nnew Point(1, 2)"));

        var r = (await new NotebookRunner().RunAsync(nb)).EnsureSuccess();

        Assert.Equal("a42\n", Stdout(r.Executed, 2));
        var shown = Assert.Single(r.Executed.Elements[2].Outputs.OfType<DisplayElement>());
        Assert.Contains("Point", string.Concat(shown.Data.Values));
        Assert.Empty(r.Executed.Elements[0].Outputs); // markdown cells are kept, not run
        Assert.Equal(2, r.Cells.Count);
    }

    [Fact]
    public async Task The_kernel_works_in_the_notebook_folder_for_hash_r_and_import()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("helpers.dib"), "#!csharp\n\nusing System.Globalization;\nstring Shout(string s) => s.ToUpper(CultureInfo.InvariantCulture) + \"!\";");
        var nb = dir.Notebook("imports.ipynb",
            NewCell.Code("#!import helpers.dib"),
            NewCell.Code("Console.WriteLine(Shout(\"hi\") + \" \" + CultureInfo.InvariantCulture.Name.Length + \" \" + System.IO.File.Exists(\"helpers.dib\"));"));
        var before = Directory.GetCurrentDirectory();

        var r = (await new NotebookRunner().RunAsync(nb)).EnsureSuccess();

        Assert.Equal("HI! 0 True\n", Stdout(r.Executed, 1));
        Assert.Equal(before, Directory.GetCurrentDirectory());
    }

    [Fact]
    public async Task Parameters_take_the_runners_values_and_keep_their_defaults_otherwise()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("params.ipynb",
            NewCell.Code(RepoPaths.KitReferenceCell),
            NewCell.Code("int epochs = Parameter(\"epochs\", 30);\nstring profile = Parameter(\"profile\", \"default\");\nbool export = Parameter(\"export\", true);", "parameters"),
            NewCell.Code("Console.WriteLine($\"{profile} {epochs} {export}\");"));

        var overridden = (await new NotebookRunner(new NotebookRunOptions
        {
            Parameters = new Dictionary<string, string> { ["epochs"] = "2", ["PROFILE"] = "smoke" },
        }).RunAsync(nb)).EnsureSuccess();
        var defaults = (await new NotebookRunner().RunAsync(nb)).EnsureSuccess();

        Assert.Equal("smoke 2 True\n", Stdout(overridden.Executed, 2));
        Assert.Equal("default 30 True\n", Stdout(defaults.Executed, 2));
        Assert.Equal(new HashSet<string> { "epochs", "profile", "export" }, NotebookRunner.DeclaredParameters(nb));
    }

    [Fact]
    public async Task An_ill_typed_parameter_fails_its_cell_naming_the_parameter()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("bad.ipynb",
            NewCell.Code(RepoPaths.KitReferenceCell),
            NewCell.Code("int epochs = Parameter(\"epochs\", 30);", "parameters"));

        var r = await new NotebookRunner(new NotebookRunOptions { Parameters = new Dictionary<string, string> { ["epochs"] = "many" } }).RunAsync(nb);

        Assert.False(r.Succeeded);
        Assert.Equal(2, r.Error!.CellNumber);
        Assert.Contains("notebook parameter 'epochs' expects", r.Error.Message);
        Assert.Contains("'many'", r.Error.Message);
    }

    [Fact]
    public async Task A_compilation_error_names_notebook_cell_and_line_and_stops_the_run()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("broken.ipynb",
            NewCell.Markdown("# broken"),
            NewCell.Code("var ok = 1;"),
            NewCell.Code("var a = 1;\nvar b = undefinedName + a;"),
            NewCell.Code("Console.WriteLine(\"never\");"));

        var r = await new NotebookRunner(new NotebookRunOptions { OutputDirectory = dir.File("out") }).RunAsync(nb);

        Assert.False(r.Succeeded);
        Assert.Equal(("broken.ipynb", 3, 2), (r.Error!.Notebook, r.Error.CellNumber, r.Error.Line));
        Assert.Contains("CS0103", r.Error.Message);
        Assert.StartsWith("broken.ipynb, cell 3 (id cell-3), line 2: ", r.Error.ToString());
        Assert.Equal(3, r.Executed.Elements.Count); // the run stopped at the failing cell
        Assert.Single(r.Executed.Elements[2].Outputs.OfType<ErrorElement>());
    }

    [Fact]
    public async Task A_runtime_exception_names_the_cell_and_the_exception_and_keeps_its_output()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("throws.ipynb",
            NewCell.Code("Console.WriteLine(\"before\");\nthrow new InvalidOperationException(\"boom\");"));

        var r = await new NotebookRunner().RunAsync(nb);

        Assert.False(r.Succeeded);
        Assert.Equal(1, r.Error!.CellNumber);
        Assert.Contains("boom", r.Error.Message);
        Assert.Equal("before\n", Stdout(r.Executed, 0));
    }

    [Fact]
    public async Task Executed_copy_is_written_as_dotnet_repl_writes_it_and_never_over_the_notebook()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("copy.ipynb", NewCell.Markdown("# copy"), NewCell.Code("display(\"<b>x</b>\");\nConsole.WriteLine(1);"));
        var committed = File.ReadAllBytes(nb);

        var r = (await new NotebookRunner(new NotebookRunOptions { OutputDirectory = dir.File("out") }).RunAsync(nb)).EnsureSuccess();

        Assert.Equal(committed, File.ReadAllBytes(nb));
        Assert.Equal(Path.GetFullPath(dir.File("out/copy.ipynb")), r.ExecutedPath);
        var written = Notebook.Parse(File.ReadAllText(r.ExecutedPath!));
        Assert.Equal(["markdown", "csharp"], written.Elements.Select(e => e.KernelName));
        Assert.Equal(["display_data", "stream"], ExecutedNotebook.OutputTypes(r.ExecutedPath!)[1]);
    }

    [Fact]
    public async Task A_missing_notebook_is_an_argument_error()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => new NotebookRunner().RunAsync("/nonexistent/x.ipynb"));
    }
}
