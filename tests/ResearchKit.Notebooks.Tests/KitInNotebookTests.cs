using System.Runtime.Loader;
using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Running;

namespace ResearchKit.Notebooks.Tests;

/// <summary>Notebooks that use the kit: TorchSharp through #r, charts and data frames on display, the committed smoke notebook.</summary>
[Collection(NotebookRuns.Name)]
public class KitInNotebookTests
{
    private static string Stdout(NotebookRunResult r, int cell) => string.Concat(r.Executed.Cells[cell].Json["outputs"]!.AsArray()
        .Where(o => o!["output_type"]!.GetValue<string>() == "stream").Select(o => NotebookJson.JoinLines(o!["text"])));

    [Fact]
    public async Task Torch_from_a_kit_folder_elsewhere_binds_to_the_runners_TorchSharp_and_libtorch()
    {
        // A "kit build" in another folder: copies of the managed TorchSharp and core assemblies, no natives. Loading this
        // TorchSharp would need a second libtorch (and would make Tensor a different type); the runner must use its own.
        using var dir = new TempDir();
        var kit = Directory.CreateDirectory(dir.File("kit")).FullName;
        var hostTorch = typeof(TorchSharp.torch).Assembly.Location;
        File.Copy(hostTorch, Path.Combine(kit, "TorchSharp.dll"));
        File.Copy(Path.Combine(Path.GetDirectoryName(hostTorch)!, "ResearchKit.dll"), Path.Combine(kit, "ResearchKit.dll"));
        var nb = dir.Notebook("torch.ipynb",
            NewCell.Code("#r \"kit/TorchSharp.dll\"\n#r \"kit/ResearchKit.dll\"\nusing TorchSharp;\nusing static TorchSharp.torch;"),
            NewCell.Code("var t = ones(3, 4) * 2;\nConsole.WriteLine(t.sum().item<float>());\n" +
                         "Console.WriteLine(typeof(torch).Assembly.Location);\n" +
                         "Console.WriteLine(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(typeof(torch).Assembly) == System.Runtime.Loader.AssemblyLoadContext.Default);"));

        var r = (await new NotebookRunner().RunAsync(nb)).EnsureSuccess();

        var lines = Stdout(r, 1).Split('\n');
        Assert.Equal("24", lines[0]);
        Assert.Equal(hostTorch, lines[1]);
        Assert.Equal("True", lines[2]);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(TorchSharp.torch).Assembly));
        Assert.Single(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "TorchSharp");
    }

    [Fact]
    public async Task Charts_and_data_frames_display_as_offline_html()
    {
        using var dir = new TempDir();
        var nb = dir.Notebook("display.ipynb",
            NewCell.Code(SetupLines + "\nusing Microsoft.Data.Analysis;\nusing ResearchKit.Notebooks.Charts;"),
            NewCell.Code("KitCharts.SweepLines(new[] { new CurveSeries(\"m\", new[] { 1.0, 2.0 }, new[] { 0.5, 0.6 }) }, \"x\", \"y\")"),
            NewCell.Code("var df = new DataFrame(new StringDataFrameColumn(\"method\", new[] { \"PA\", \"CP\" }), new DoubleDataFrameColumn(\"R@1\", new[] { 0.61234567, 0.65 }));\ndisplay(df);"));

        var r = (await new NotebookRunner().RunAsync(nb)).EnsureSuccess();

        var chart = r.Executed.Cells[1].Json["outputs"]![0]!["data"]!.AsObject();
        var html = NotebookJson.JoinLines(chart["text/html"]);
        Assert.Contains("Plotly.newPlot(", html);
        Assert.Contains(Export.PlotlyJs.Source[..200], html); // plotly.js itself is inline
        Assert.DoesNotContain("<script src=", html);
        Assert.DoesNotContain("require.config", html);
        var table = r.Executed.Cells[2].Json["outputs"]![0]!["data"]!.AsObject();
        var tableHtml = NotebookJson.JoinLines(table["text/html"]);
        Assert.Contains("<table", tableHtml);
        Assert.Contains(">R@1</th>", tableHtml);
        Assert.Contains(">0.6123</td>", tableHtml);
        Assert.Contains("2 rows × 2 columns", NotebookJson.JoinLines(table["text/plain"]));
    }

    // The references of notebooks/_setup.csx, as absolute paths to this test's own output (which holds the same assemblies).
    private static string SetupLines => string.Join("\n",
        new[] { "TorchSharp", "ResearchKit", "Microsoft.Data.Analysis", "Plotly.NET", "Plotly.NET.CSharp", "ResearchKit.Notebooks" }
            .Select(n => $"#r \"{Path.Combine(AppContext.BaseDirectory, n + ".dll")}\""));

    [Fact]
    public async Task Smoke_notebook_runs_through_the_runner()
    {
        using var dir = new TempDir();
        var path = Path.Combine(RepoPaths.Notebooks, "00-smoke.ipynb");
        var committed = File.ReadAllBytes(path);

        var r = (await new NotebookRunner(new NotebookRunOptions
        {
            Parameters = new Dictionary<string, string> { ["pointsPerClass"] = "20" },
            OutputDirectory = dir.Path,
        }).RunAsync(path)).EnsureSuccess();

        var cells = r.Executed.Cells;
        Assert.Contains(cells, c => c.Tags.Contains(ParameterInjection.InjectedTag));
        var htmlOutputs = cells.SelectMany(c => c.Json["outputs"]?.AsArray() ?? [])
            .Select(o => o!["data"]?["text/html"]).Where(h => h is not null).Select(NotebookJson.JoinLines).ToList();
        Assert.Equal(3, htmlOutputs.Count(h => h.Contains("Plotly.newPlot(")));
        Assert.Single(htmlOutputs, h => h.Contains("<table"));
        Assert.Equal(committed, File.ReadAllBytes(path));
    }
}
