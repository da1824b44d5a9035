using System.Globalization;
using ResearchKit.Notebooks.Interactive;
using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Running;
using Xunit.Abstractions;

namespace ResearchKit.Notebooks.Tests;

/// <summary>A scratch folder shared by the notebook runs of one test class: later notebooks reuse earlier runs, as in a checkout.</summary>
public sealed class NotebookScratch : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>The folder.</summary>
    public string Path => _dir.Path;

    /// <inheritdoc/>
    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// Every committed notebook runs on the real kernel exactly as a user runs it headless: dotnet-repl (pinned in
/// .config/dotnet-tools.json) from the repository root with <c>--input profile=smoke</c>, at its full smoke length. The
/// executed copy has no error output, and every chart output draws offline in headless Chromium next to the notebook's one
/// plotly.js output: a non-blank picture and no network request. CI's guarantee that the notebooks work in the host VS
/// Code runs them on.
/// </summary>
[Collection(NotebookRuns.Name)]
public class CommittedNotebookTests(NotebookScratch scratch, ChartRendering charts, ITestOutputHelper log)
    : IClassFixture<NotebookScratch>, IClassFixture<ChartRendering>
{
    // What a folder run (`notebook run notebooks --param ...`) may pass to every notebook; each must declare them all.
    private static readonly string[] CommonParameters = ["profile", "seeds", "dataset", "epochs", "exportFigures", "figureDir", "resultsDir"];

    /// <summary>The notebooks in notebooks/, in file order (00 first; 05 reuses 01's runs through the shared results folder).</summary>
    public static TheoryData<string> Notebooks() => new(NotebookStripper.Expand(RepoPaths.Notebooks).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_declares_the_common_parameters_of_a_folder_run(string notebook)
    {
        var declared = NotebookRunner.DeclaredParameters(Path.Combine(RepoPaths.Notebooks, notebook));
        var missing = CommonParameters.Where(p => !declared.Contains(p)).ToList();
        Assert.True(missing.Count == 0, $"{notebook} does not declare {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_green_on_dotnet_repl_at_smoke_and_its_charts_draw_offline(string notebook)
    {
        var name = Path.GetFileNameWithoutExtension(notebook);
        var executed = Path.Combine(scratch.Path, "executed", notebook);
        Directory.CreateDirectory(Path.GetDirectoryName(executed)!);
        var figures = Path.Combine(scratch.Path, "figures", name);
        var committed = File.ReadAllBytes(Path.Combine(RepoPaths.Notebooks, notebook));

        var run = DotnetRepl.Execute($"notebooks/{notebook}", executed, new Dictionary<string, string>
        {
            ["profile"] = "smoke",
            ["exportFigures"] = "true",
            ["figureDir"] = figures,
            ["resultsDir"] = Path.Combine(scratch.Path, "results"),
        }, TimeSpan.FromMinutes(10));

        var size = new FileInfo(executed) is { Exists: true } f ? f.Length : 0;
        log.WriteLine($"{notebook}: dotnet-repl exit {run.ExitCode}, {run.Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s, executed copy {size / 1e6:0.00} MB");
        Assert.True(size > 0, $"{notebook}: dotnet-repl wrote no executed copy (exit {run.ExitCode}):\n{run.Output}");
        var errors = ExecutedNotebook.Errors(executed);
        Assert.True(errors.Count == 0, $"{notebook}: error outputs in the executed copy:\n{string.Join("\n", errors)}");
        Assert.True(run.ExitCode == 0, $"{notebook}: dotnet-repl exit {run.ExitCode}:\n{run.Output}");
        Assert.Equal(committed, File.ReadAllBytes(Path.Combine(RepoPaths.Notebooks, notebook)));
        Assert.True(size <= 8_000_000, $"{notebook}: the executed copy is {size / 1e6:0.0} MB (plotly.js must be delivered once, not per chart)");

        // plotly.js once (the set-up cell), then charts that draw with it, offline.
        var html = ExecutedNotebook.Html(executed);
        var plotlyJs = Assert.Single(html, h => h.Html.Contains(PlotlyJsDelivery.ScriptId, StringComparison.Ordinal));
        var chartOutputs = html.Where(h => h.Html.Contains("researchkit-chart", StringComparison.Ordinal) && h != plotlyJs).ToList();
        Assert.NotEmpty(chartOutputs);
        foreach (var (cell, chart) in chartOutputs)
        {
            var result = await charts.RenderAsync(plotlyJs.Html, chart);
            Assert.True(result.Requests.Count == 0, $"{notebook} cell {cell}: the chart requested {string.Join(", ", result.Requests)}");
            Assert.True(result.Drawn, $"{notebook} cell {cell}: plotly drew nothing");
            Assert.True(result.InkedFraction is > 0.01 and < 0.95, $"{notebook} cell {cell}: {result.InkedFraction:P1} of the chart's pixels are not white");
        }
        AssertExportedFigures(notebook, figures, executed);
    }

    // The export cell writes PNG, SVG and PDF of each figure (Playwright's driver found from the kit folder inside
    // dotnet-repl) and shows the PNGs.
    private static void AssertExportedFigures(string notebook, string figures, string executed)
    {
        var shown = ExecutedNotebook.Cells(executed).SelectMany(c => ExecutedNotebook.Outputs(c!))
            .Select(o => ExecutedNotebook.Data(o, "image/png")).OfType<string>().Select(Convert.FromBase64String).ToList();
        Assert.True(shown.Count > 0, $"{notebook}: no exported figure is shown as image/png");
        var pngs = Directory.GetFiles(figures, "*.png");
        Assert.NotEmpty(pngs);
        foreach (var png in pngs)
        {
            Assert.True(File.Exists(Path.ChangeExtension(png, ".svg")) && File.Exists(Path.ChangeExtension(png, ".pdf")), $"{png}: SVG and PDF next to it");
            var image = DecodedPng.Decode(File.ReadAllBytes(png));
            Assert.True(image.Width >= 600 && image.Height >= 300, $"{png}: {image.Width} × {image.Height}");
            double inked = image.CountNonWhite() / (double)(image.Width * image.Height);
            Assert.True(inked is > 0.01 and < 0.9, $"{png}: {inked:P1} of the pixels are not white");
        }
    }

    [Fact]
    public async Task A_chart_output_alone_draws_nothing_and_fetches_nothing()
    {
        // The no-network guarantee does not come from a CDN fallback: without the notebook's plotly.js the chart stays empty.
        using var dir = new TempDir();
        var chart = Export.ChartHtml.ToNotebookFragment(Charts.KitCharts.RecallAtK([new Charts.RecallCurve("a", [1, 2], [0.5, 0.6])]));

        var alone = await charts.RenderAsync(null, chart);
        var withPlotly = await charts.RenderAsync(PlotlyJsDelivery.ScriptHtml(), chart);

        Assert.False(alone.Drawn);
        Assert.Empty(alone.Requests);
        Assert.True(withPlotly.Drawn);
        Assert.True(withPlotly.InkedFraction > 0.01);
    }
}
