using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Running;

namespace ResearchKit.Notebooks.Tests;

[Collection(NotebookRuns.Name)]
public class NotebookRunnerTests
{
    private static async Task<NotebookRunResult> Run(string path, Dictionary<string, string>? parameters = null, string? outDir = null) =>
        await new NotebookRunner(new NotebookRunOptions { Parameters = parameters ?? [], OutputDirectory = outDir }).RunAsync(path);

    private static JsonArray Outputs(NotebookRunResult r, int cellIndex) => r.Executed.Cells[cellIndex].Json["outputs"]!.AsArray();

    private static string Text(JsonNode output, string mime = "text/plain") => NotebookJson.JoinLines(output["data"]![mime]);

    private static string Stdout(NotebookRunResult r, int cellIndex) =>
        string.Concat(Outputs(r, cellIndex).Where(o => o!["output_type"]!.GetValue<string>() == "stream").Select(o => NotebookJson.JoinLines(o!["text"])));

    [Fact]
    public async Task State_usings_types_and_methods_carry_across_cells()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("state.ipynb",
            NewCell.Markdown("# state"),
            NewCell.Code("using System.Globalization;\nvar total = 40;\nrecord Point(int X, int Y);\nstatic int Twice(int v) => 2 * v;"),
            NewCell.Code("total += Twice(1);\nvar p = new Point(1, 2);"),
            NewCell.Code("Console.WriteLine($\"{total} {p.Y} {CultureInfo.InvariantCulture.Name.Length}\");"));

        var r = (await Run(nb)).EnsureSuccess();

        Assert.Equal("42 2 0\n", Stdout(r, 3));
        Assert.Equal(new int?[] { null, 1, 2, 3 }, r.Executed.Cells.Select(c => c.Json["execution_count"]?.GetValue<int>()).ToArray());
    }

    [Fact]
    public async Task Return_values_display_and_updatable_handles_become_outputs()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("display.ipynb",
            NewCell.Code("var h = display(\"first\");\nConsole.WriteLine(\"between\");\nh.Update(\"updated\");\ndisplay(HTML(\"<b>bold</b>\"));"),
            NewCell.Code("1 + 2"),
            NewCell.Code("var none = 3;"));

        var r = (await Run(nb)).EnsureSuccess();

        var first = Outputs(r, 0);
        Assert.Equal(3, first.Count);
        Assert.Equal("updated", Text(first[0]!));
        Assert.Equal("stream", first[1]!["output_type"]!.GetValue<string>());
        Assert.Equal("<b>bold</b>", Text(first[2]!, "text/html"));
        var value = Assert.Single(Outputs(r, 1));
        Assert.Equal("display_data", value!["output_type"]!.GetValue<string>());
        Assert.Contains("3", string.Concat(value["data"]!.AsObject().Select(p => NotebookJson.JoinLines(p.Value))));
        Assert.Empty(Outputs(r, 2)); // a statement with a semicolon has no return value
    }

    [Fact]
    public async Task Parameters_cell_is_overridden_by_an_injected_cell()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("params.ipynb",
            NewCell.Markdown("# params"),
            NewCell.Code("int epochs = 30;\nstring name = \"cub\";\ndouble lr = 1e-4;\nbool quick = false;\nvar k = 4L;", "parameters"),
            NewCell.Code("Console.WriteLine($\"{epochs} {name} {lr} {quick} {k} {k.GetType().Name}\");"));

        var r = (await Run(nb, new() { ["epochs"] = "2", ["name"] = "a \"quoted\" name", ["lr"] = "0.5", ["quick"] = "true", ["k"] = "8" })).EnsureSuccess();

        var cells = r.Executed.Cells;
        Assert.Equal(4, cells.Count);
        Assert.Equal(new[] { ParameterInjection.InjectedTag }, cells[2].Tags);
        Assert.Equal(ParameterInjection.InjectedTag, cells[2].Id);
        Assert.Equal("2 a \"quoted\" name 0.5 True 8 Int64\n", Stdout(r, 3));
        Assert.Equal("30", Regex(cells[1].Source, @"epochs = (\d+)")); // the committed parameters cell itself is untouched
    }

    private static string Regex(string s, string pattern) => System.Text.RegularExpressions.Regex.Match(s, pattern).Groups[1].Value;

    [Fact]
    public async Task Unknown_or_ill_typed_parameters_and_missing_parameters_cell_are_argument_errors()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("p.ipynb", NewCell.Code("int epochs = 30;", "parameters"));
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => Run(nb, new() { ["epoch"] = "2" }));
        Assert.Contains("epochs", unknown.Message);
        var typed = await Assert.ThrowsAsync<ArgumentException>(() => Run(nb, new() { ["epochs"] = "two" }));
        Assert.Contains("int", typed.Message);
        var none = dir.Notebook("none.ipynb", NewCell.Code("int epochs = 30;"));
        var missing = await Assert.ThrowsAsync<ArgumentException>(() => Run(none, new() { ["epochs"] = "2" }));
        Assert.Contains("parameters", missing.Message);
    }

    [Fact]
    public async Task Compilation_error_names_notebook_cell_and_line_and_stops_the_run()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("broken.ipynb",
            NewCell.Markdown("# broken"),
            NewCell.Code("var ok = 1;"),
            NewCell.Code("var fine = 2;\nint bad = \"text\";"),
            NewCell.Code("Console.WriteLine(\"never\");"));

        var r = await Run(nb, outDir: dir.File("out"));

        Assert.False(r.Succeeded);
        var e = r.Error!;
        Assert.Equal(CellErrorKind.Compilation, e.Kind);
        Assert.Equal(3, e.CellNumber);
        Assert.Equal(2, e.Line);
        Assert.Contains("CS0029", e.Message);
        Assert.StartsWith("broken.ipynb, cell 3 (id cell-3), line 2: compilation error:", e.ToString());
        var error = Assert.Single(Outputs(r, 2));
        Assert.Equal("error", error!["output_type"]!.GetValue<string>());
        Assert.Null(r.Executed.Cells[3].Json["execution_count"]);
        Assert.Empty(Outputs(r, 3));
        Assert.True(File.Exists(r.ExecutedPath)); // the executed copy is written up to the failure
        Assert.Throws<NotebookRunException>(() => r.EnsureSuccess());
    }

    [Fact]
    public async Task Runtime_exception_names_cell_line_and_exception()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("throws.ipynb",
            NewCell.Code("var x = 1;"),
            NewCell.Code("Console.WriteLine(\"before\");\nthrow new InvalidOperationException(\"boom\");"));

        var r = await Run(nb);

        var e = r.Error!;
        Assert.Equal(CellErrorKind.Runtime, e.Kind);
        Assert.Equal(2, e.CellNumber);
        Assert.Equal(2, e.Line);
        Assert.Equal("System.InvalidOperationException: boom", e.Message);
        Assert.Contains("InvalidOperationException", e.Detail);
        Assert.Equal("before\n", Stdout(r, 1)); // output before the throw is kept
        var outputs = Outputs(r, 1);
        Assert.Equal("InvalidOperationException", outputs[^1]!["ename"]!.GetValue<string>());
    }

    [Fact]
    public async Task Top_level_await_works_and_its_value_carries_over()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("await.ipynb",
            NewCell.Code("await Task.Delay(5);\nvar v = await Task.Run(() => 20 + 1);"),
            NewCell.Code("Console.WriteLine(v * 2);"));

        var r = (await Run(nb)).EnsureSuccess();

        Assert.Equal("42\n", Stdout(r, 1));
    }

    [Fact]
    public async Task Hash_r_of_a_relative_path_resolves_against_the_notebook_folder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("lib"));
        var compilation = CSharpCompilation.Create("TinyLib",
            [CSharpSyntaxTree.ParseText("namespace Tiny { public static class Answer { public static int Get() => 42; } }")],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var emit = compilation.Emit(dir.File("lib/TinyLib.dll"));
        Assert.True(emit.Success);
        Directory.CreateDirectory(dir.File("nbs"));
        var nb = Path.Combine(dir.Path, "nbs", "ref.ipynb");
        NotebookDocument.Create([NewCell.Code("#r \"../lib/TinyLib.dll\"\nConsole.WriteLine(Tiny.Answer.Get());\nConsole.WriteLine(System.IO.Directory.GetCurrentDirectory());")]).Save(nb);

        var before = Directory.GetCurrentDirectory();
        var r = (await Run(nb)).EnsureSuccess();

        Assert.Equal($"42\n{Path.Combine(dir.Path, "nbs")}\n", Stdout(r, 0)); // the kernel starts in the notebook folder, as in VS Code
        Assert.Equal(before, Directory.GetCurrentDirectory()); // the notebook folder is current only during the run
    }

    [Fact]
    public async Task Missing_hash_r_file_is_a_compilation_error()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("missing.ipynb", NewCell.Code("#r \"nowhere/Nothing.dll\"\nvar x = 1;"));
        var r = await Run(nb);
        Assert.Equal(CellErrorKind.Compilation, r.Error!.Kind);
        Assert.Contains("CS0006", r.Error.Message);
    }

    [Fact]
    public async Task Import_runs_the_file_as_submissions_whose_usings_and_members_carry_over()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("helper.csx"), "using System.Globalization;\nstatic string Greet(string n) => $\"hi {n}\";\nvar imported = 41;");
        var nb = dir.Notebook("import.ipynb",
            NewCell.Code("#!import helper.csx\nimported++;"),
            NewCell.Code("Console.WriteLine(Greet(imported.ToString(CultureInfo.InvariantCulture)));"));

        var r = (await Run(nb)).EnsureSuccess();

        Assert.Equal("hi 42\n", Stdout(r, 1));
    }

    [Fact]
    public async Task Hash_load_resolves_against_the_notebook_folder_and_its_members_carry_over()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("lib"));
        File.WriteAllText(dir.File("lib/helper.csx"), "static int Triple(int v) => 3 * v;\nvar loaded = 14;");
        var nb = dir.Notebook("load.ipynb",
            NewCell.Code("#load \"lib/helper.csx\"\nloaded += 0;"),
            NewCell.Code("Console.WriteLine(Triple(loaded));"));

        var r = (await Run(nb)).EnsureSuccess();

        Assert.Equal("42\n", Stdout(r, 1));

        var missing = await Run(dir.Notebook("loadmissing.ipynb", NewCell.Markdown("x"), NewCell.Code("#load \"lib/nothing.csx\"")));
        Assert.Equal((CellErrorKind.Compilation, 2), (missing.Error!.Kind, missing.Error.CellNumber));
        Assert.Contains("nothing.csx", missing.Error.Message);
    }

    [Fact]
    public async Task Errors_inside_an_import_name_the_imported_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.csx"), "var a = 1;\nvar b = undefinedThing;");
        var nb = dir.Notebook("importbad.ipynb", NewCell.Markdown("x"), NewCell.Code("#!import bad.csx"));

        var r = await Run(nb);

        Assert.Equal(CellErrorKind.Compilation, r.Error!.Kind);
        Assert.Equal(2, r.Error.CellNumber);
        Assert.Equal("bad.csx", r.Error.ImportedFile);
        Assert.Equal(2, r.Error.Line);
        Assert.Contains("CS0103", r.Error.Message);
    }

    [Theory]
    [InlineData("#!import nothing-here.csx", "file not found")]
    [InlineData("#!who", "unsupported magic command")]
    [InlineData("#r \"nuget: NoSuchPackage.Anywhere, 1.0.0\"", "cannot restore NuGet packages")]
    [InlineData("#!fsharp\nlet x = 1", "kernel 'fsharp'")]
    public async Task Unsupported_directives_fail_with_a_clear_message(string cell, string message)
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("directive.ipynb", NewCell.Code(cell));
        var r = await Run(nb);
        Assert.False(r.Succeeded);
        Assert.Contains(message, r.Error!.Message);
        Assert.Equal(1, r.Error.CellNumber);
    }

    [Fact]
    public async Task Executed_copy_is_written_in_polyglot_layout_and_never_over_the_notebook()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("copy.ipynb", NewCell.Markdown("# copy"), NewCell.Code("Console.WriteLine(\"hello\");"), NewCell.Code("\"value\""));
        var committed = File.ReadAllText(nb);

        var r = (await Run(nb, outDir: dir.File("artifacts"))).EnsureSuccess();

        Assert.Equal(dir.File("artifacts/copy.ipynb"), r.ExecutedPath);
        var text = File.ReadAllText(r.ExecutedPath!);
        Assert.StartsWith("{\n \"cells\": [\n  {\n", text);
        Assert.EndsWith("\"nbformat_minor\": 5\n}\n", text);
        Assert.Equal(text, NotebookJson.Serialize(NotebookJson.Parse(text))); // canonical
        var copy = NotebookDocument.Load(r.ExecutedPath!);
        Assert.Equal(new[] { "md-1", "cell-2", "cell-3" }, copy.Cells.Select(c => c.Id).ToArray());
        var stream = copy.Cells[1].Json["outputs"]![0]!;
        Assert.Equal("stdout", stream["name"]!.GetValue<string>());
        Assert.Equal(new[] { "hello\n" }, stream["text"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
        var display = copy.Cells[2].Json["outputs"]![0]!;
        Assert.Equal(new[] { "data", "metadata", "output_type" }, display.AsObject().Select(p => p.Key).Order().ToArray());
        Assert.Equal(committed, File.ReadAllText(nb)); // the committed notebook is untouched

        await Assert.ThrowsAsync<ArgumentException>(() => Run(nb, outDir: dir.Path));
    }

    [Fact]
    public async Task Strip_of_an_executed_copy_gives_back_the_committed_notebook()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("rt.ipynb", NewCell.Markdown("# rt"), NewCell.Code("display(new[] { 1, 2 });\nConsole.WriteLine(\"x\");"));
        var r = (await Run(nb, outDir: dir.File("out"))).EnsureSuccess();
        Assert.False(NotebookStripper.IsClean(r.ExecutedPath!));

        NotebookStripper.StripFile(r.ExecutedPath!);

        Assert.Equal(File.ReadAllBytes(nb), File.ReadAllBytes(r.ExecutedPath!));
    }
}
