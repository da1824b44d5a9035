using System.Text;
using Plotly.NET;
using ResearchKit.Notebooks.Charts;
using ResearchKit.Notebooks.Export;
using TorchSharp;

namespace ResearchKit.Notebooks.Tests;

/// <summary>One Chromium for the whole class.</summary>
public sealed class ExporterFixture : IAsyncLifetime
{
    public FigureExporter Exporter { get; private set; } = null!;

    public async Task InitializeAsync() => Exporter = await FigureExporter.StartAsync();

    // A failed start (no Chromium: each test reports the ChromiumNotFoundException) leaves no exporter to dispose.
    public async Task DisposeAsync()
    {
        if (Exporter is not null) await Exporter.DisposeAsync();
    }
}

public class FigureExportTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>
{
    private static GenericChart Ablation() => KitCharts.AblationBars(
    [
        new AblationBar("CUB", "PA", 0.60, 0.01, 0.61), new AblationBar("CUB", "PA + CP", 0.65, 0.008, 0.66),
        new AblationBar("Cars", "PA", 0.80, 0.012, 0.82), new AblationBar("Cars", "PA + CP", 0.84, 0.009),
    ], title: "ablation");

    [Fact]
    public async Task Png_has_the_requested_size_and_real_content()
    {
        var png = DecodedPng.Decode(await fixture.Exporter.RenderAsync(Ablation(), FigureFormat.Png, new FigureSize(600, 400, 2)));

        Assert.Equal(1200, png.Width);
        Assert.Equal(800, png.Height);
        double inked = png.CountNonWhite() / (double)(png.Width * png.Height);
        Assert.InRange(inked, 0.03, 0.6); // bars, axes and text, on a white page
        var (r, g, b, _) = png[2, 2];
        Assert.True(r > 240 && g > 240 && b > 240, "corner should be white background");
    }

    [Fact]
    public async Task Every_chart_builder_renders_to_a_non_blank_png()
    {
        var charts = new[]
        {
            KitCharts.RecallAtK([new RecallCurve("a", [1, 2, 4, 8], [0.5, 0.6, 0.7, 0.8], [0.01, 0.01, 0.01, 0.01])]),
            KitCharts.Deviation([new CurveSeries("dev", [0, 1, 2, 3], [1.0, 0.8, 0.5, 0.4], [0.1, 0.1, 0.05, 0.05])], markerX: 1.5, markerLabel: "start"),
            KitCharts.SweepHeatmap([[0.1, 0.2], [0.3, 0.4]], ["a", "b"], ["c", "d"], "x", "y", "R@1"),
            KitCharts.EmbeddingScatter(torch.randn(30, 2), torch.arange(30) % 3, centers: torch.randn(3, 2), centerLabels: torch.arange(3)),
        };
        foreach (var chart in charts)
        {
            var png = DecodedPng.Decode(await fixture.Exporter.RenderAsync(chart, FigureFormat.Png, new FigureSize(400, 300, 1)));
            Assert.Equal((400, 300), (png.Width, png.Height));
            Assert.True(png.CountNonWhite() > 400 * 300 / 50, "figure looks blank");
        }
    }

    [Fact]
    public async Task Svg_and_pdf_are_vector_files()
    {
        var svg = Encoding.UTF8.GetString(await fixture.Exporter.RenderAsync(Ablation(), FigureFormat.Svg, new FigureSize(500, 300)));
        Assert.StartsWith("<svg", svg);
        Assert.Contains("width=\"500\"", svg);
        Assert.Contains("PA + CP", svg);

        var pdf = await fixture.Exporter.RenderAsync(Ablation(), FigureFormat.Pdf, new FigureSize(500, 300));
        Assert.Equal("%PDF-", Encoding.ASCII.GetString(pdf, 0, 5));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(Encoding.Latin1.GetString(pdf), @"/Type\s*/Page[^s]"));
    }

    [Fact]
    public async Task Save_picks_the_format_from_the_extension()
    {
        using var dir = new TempDir();
        await fixture.Exporter.SaveAsync(Ablation(), dir.File("figs/a.png"), new FigureSize(300, 200, 1));
        Assert.Equal(300, DecodedPng.Decode(File.ReadAllBytes(dir.File("figs/a.png"))).Width);
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Exporter.SaveAsync(Ablation(), dir.File("a.jpg")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Exporter.RenderAsync(Ablation(), FigureFormat.Png, new FigureSize(10, 10)));
    }

    [Fact]
    public void Missing_chromium_error_names_the_fix()
    {
        var e = Assert.Throws<ChromiumNotFoundException>(() => ChromiumLocator.Find("/nonexistent/chromium"));
        Assert.Contains("apt-get install chromium", e.Message);
        Assert.Contains("/nonexistent/chromium", e.Message);
    }

    [Fact]
    public async Task Starting_the_exporter_with_a_missing_chromium_names_the_fix()
    {
        var e = await Assert.ThrowsAsync<ChromiumNotFoundException>(() =>
            FigureExporter.StartAsync(new FigureExporterOptions { ExecutablePath = "/nonexistent/chromium" }));
        Assert.Contains("apt-get install chromium", e.Message);
        Assert.Contains(ChromiumLocator.EnvironmentVariable, e.Message);
        Assert.Contains("/nonexistent/chromium", e.Message);
    }

    [Fact]
    public void Standalone_html_embeds_plotly_js_and_loads_nothing_from_the_network()
    {
        using var dir = new TempDir();
        ChartHtml.Save(Ablation(), dir.File("fig.html"));
        var html = File.ReadAllText(dir.File("fig.html"));
        Assert.Contains(PlotlyJs.Source[..500], html);
        Assert.DoesNotMatch(@"<script[^>]+src=", html);
        Assert.StartsWith("2.", PlotlyJs.Version);
    }
}
