using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Running;

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
/// Every committed notebook runs headlessly at the smoke profile (its full length, figures exported to a temporary folder)
/// without a cell error, and what it shows and exports are real tables, charts and images. CI's guarantee that the
/// notebooks still work.
/// </summary>
[Collection(NotebookRuns.Name)]
public class CommittedNotebookTests(NotebookScratch scratch) : IClassFixture<NotebookScratch>
{
    // What CI sets; everything else (seeds, epochs, sweeps) keeps the notebook's default, so this is the true smoke
    // profile: all eight notebooks took 5.9 min one after another on the shared 2-core machine (notebooks/README.md).
    private static readonly Dictionary<string, string> SmokeParameters = new()
    {
        ["profile"] = "smoke",
        ["exportFigures"] = "true",
    };

    // What a folder run (`notebook run notebooks --param ...`) may pass to every notebook; each must declare them all.
    private static readonly string[] CommonParameters = ["profile", "seeds", "dataset", "epochs", "exportFigures", "figureDir", "resultsDir"];

    /// <summary>The notebooks in notebooks/, in file order (00 first).</summary>
    public static TheoryData<string> Notebooks() => new(NotebookStripper.Expand(RepoPaths.Notebooks).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_declares_the_common_parameters_of_a_folder_run(string notebook)
    {
        var declared = ParameterInjection.DeclaredNames(NotebookDocument.Load(Path.Combine(RepoPaths.Notebooks, notebook)));
        var missing = CommonParameters.Where(p => !declared.Contains(p)).ToList();
        Assert.True(missing.Count == 0, $"{notebook} does not declare {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_at_the_smoke_profile_and_exports_nonblank_figures(string notebook)
    {
        var path = Path.Combine(RepoPaths.Notebooks, notebook);
        var name = Path.GetFileNameWithoutExtension(notebook);
        var declared = ParameterInjection.Declarations(NotebookDocument.Load(path).Cells
            .Single(c => c.IsCode && c.Tags.Contains(ParameterInjection.ParametersTag)).Source);
        var figures = Path.Combine(scratch.Path, "figures", name);
        Assert.All(SmokeParameters.Keys.Append("figureDir").Append("resultsDir"), p => Assert.True(declared.ContainsKey(p), $"{notebook} declares {p}"));
        var parameters = new Dictionary<string, string>(SmokeParameters)
        {
            ["figureDir"] = figures,
            ["resultsDir"] = Path.Combine(scratch.Path, "results"),
        };
        var committed = File.ReadAllBytes(path);

        var result = await new NotebookRunner(new NotebookRunOptions { Parameters = parameters, OutputDirectory = Path.Combine(scratch.Path, "executed") })
            .RunAsync(path);

        Assert.True(result.Succeeded, $"{notebook}: {result.Error}");
        Assert.Equal(committed, File.ReadAllBytes(path));
        // The executed copy holds what a reader sees: a table, an interactive chart and the exported figures as images.
        var data = result.Executed.Cells.SelectMany(c => c.Json["outputs"]?.AsArray() ?? []).Select(o => o!["data"]).Where(d => d is not null).ToList();
        var html = data.Select(d => d!["text/html"]).Where(h => h is not null).Select(NotebookJson.JoinLines).ToList();
        Assert.Contains(html, h => h.Contains("Plotly.newPlot(", StringComparison.Ordinal));
        Assert.Contains(html, h => h.StartsWith("<table", StringComparison.Ordinal));
        var shownPngs = data.Select(d => d!["image/png"]).Where(p => p is not null).Select(p => Convert.FromBase64String(NotebookJson.JoinLines(p))).ToList();
        Assert.NotEmpty(shownPngs);
        Assert.All(shownPngs, png => Assert.True(DecodedPng.Decode(png).Width >= 600, $"{notebook}: an image/png output is not a full-size figure"));
        var pngs = Directory.GetFiles(figures, "*.png");
        Assert.NotEmpty(pngs);
        foreach (var png in pngs)
        {
            Assert.True(File.Exists(Path.ChangeExtension(png, ".svg")) && File.Exists(Path.ChangeExtension(png, ".pdf")), $"{png}: SVG and PDF next to it");
            var bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 10_000, $"{png}: {bytes.Length} bytes is too small for a chart");
            var image = DecodedPng.Decode(bytes);
            Assert.True(image.Width >= 600 && image.Height >= 300, $"{png}: {image.Width} × {image.Height}");
            // Axes, labels and data cover a few percent of a chart; a blank or failed render covers almost nothing.
            double inked = image.CountNonWhite() / (double)(image.Width * image.Height);
            Assert.True(inked is > 0.01 and < 0.9, $"{png}: {inked:P1} of the pixels are not white");
        }
    }
}
