using System.Text;
using Microsoft.Playwright;
using Plotly.NET;
using ResearchKit.Notebooks.Formatting;

namespace ResearchKit.Notebooks.Export;

/// <summary>Options of <see cref="FigureExporter.StartAsync"/>.</summary>
public sealed record FigureExporterOptions
{
    /// <summary>The Chromium executable; null finds it with <see cref="ChromiumLocator"/>.</summary>
    public string? ExecutablePath { get; init; }

    /// <summary>Browser launch timeout.</summary>
    public TimeSpan LaunchTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Per-figure render timeout.</summary>
    public TimeSpan RenderTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Exports charts to PNG, SVG and PDF through a headless system Chromium driven by Playwright (spec §3.3), fully offline:
/// one page loads the embedded plotly.js once, then each figure is drawn at the requested size and read back with
/// <c>Plotly.toImage</c> (PNG, SVG) or printed by Chromium (PDF, vector). Start one exporter and reuse it; launching a
/// browser takes about a second. Renders on one exporter are serialized.
/// </summary>
public sealed class FigureExporter : IAsyncDisposable
{
    /// <summary>Chromium flags: headless in a container, no GPU, no network chatter.</summary>
    public static readonly IReadOnlyList<string> LaunchFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-default-apps", "--disable-extensions", "--disable-sync",
        "--no-first-run", "--mute-audio", "--hide-scrollbars", "--font-render-hinting=none",
    ];

    /// <summary>The size used when neither the call nor the chart's layout gives one.</summary>
    public static readonly FigureSize DefaultSize = new(720, 450);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IPage _page;
    private readonly FigureExporterOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private FigureExporter(IPlaywright playwright, IBrowser browser, IPage page, FigureExporterOptions options)
    {
        _playwright = playwright;
        _browser = browser;
        _page = page;
        _options = options;
    }

    /// <summary>Launches Chromium and loads plotly.js into a blank page.</summary>
    /// <exception cref="ChromiumNotFoundException">No Chromium is installed (the message names the fix).</exception>
    public static async Task<FigureExporter> StartAsync(FigureExporterOptions? options = null)
    {
        options ??= new FigureExporterOptions();
        var executable = ChromiumLocator.Find(options.ExecutablePath);
        PlaywrightDriver.Use();
        var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = LaunchFlags,
                Timeout = (float)options.LaunchTimeout.TotalMilliseconds,
            }).ConfigureAwait(false);
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = DefaultSize.Width, Height = DefaultSize.Height } })
                .ConfigureAwait(false);
            page.SetDefaultTimeout((float)options.RenderTimeout.TotalMilliseconds);
            await page.SetContentAsync(ShellHtml()).ConfigureAwait(false);
            await page.WaitForFunctionAsync("() => typeof window.Plotly !== 'undefined'").ConfigureAwait(false);
            return new FigureExporter(playwright, browser, page, options);
        }
        catch (PlaywrightException e)
        {
            playwright.Dispose();
            throw new InvalidOperationException(
                $"Chromium at {executable} could not be started for figure export: {e.Message.Split('\n')[0]}. " +
                "Check that `apt-get install chromium` completed, or point RESEARCHKIT_CHROMIUM at a working browser.", e);
        }
    }

    /// <summary>Renders <paramref name="chart"/> to bytes (PNG bytes, SVG text in UTF-8, or a PDF).</summary>
    /// <param name="chart">The chart.</param>
    /// <param name="format">PNG, SVG or PDF.</param>
    /// <param name="size">Figure size; null uses the chart's layout size, else <see cref="DefaultSize"/>.</param>
    public async Task<byte[]> RenderAsync(GenericChart chart, FigureFormat format, FigureSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        size ??= SizeOf(chart);
        size.Validate();
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _page.SetViewportSizeAsync(size.Width, size.Height).ConfigureAwait(false);
            await _page.EvaluateAsync<bool>(DrawScript, new object[] { ChartHtml.ToFigureJson(chart), size.Width, size.Height }).ConfigureAwait(false);
            switch (format)
            {
                case FigureFormat.Pdf:
                    return await _page.PdfAsync(new PagePdfOptions
                    {
                        Width = $"{size.Width}px",
                        Height = $"{size.Height}px",
                        PrintBackground = true,
                        PageRanges = "1",
                        Margin = new Margin { Top = "0", Right = "0", Bottom = "0", Left = "0" },
                    }).ConfigureAwait(false);
                case FigureFormat.Png:
                case FigureFormat.Svg:
                    var fmt = format == FigureFormat.Png ? "png" : "svg";
                    var scale = format == FigureFormat.Svg ? 1.0 : size.Scale; // SVG is vector: keep its nominal size
                    var url = await _page.EvaluateAsync<string>(ImageScript, new object[] { fmt, size.Width, size.Height, scale }).ConfigureAwait(false);
                    var payload = url[(url.IndexOf(',') + 1)..];
                    return format == FigureFormat.Png ? Convert.FromBase64String(payload) : Encoding.UTF8.GetBytes(Uri.UnescapeDataString(payload));
                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, "expected Png, Svg or Pdf");
            }
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException($"Chromium failed to render the figure as {format}: {e.Message.Split('\n')[0]}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes the chart to <paramref name="path"/>; the extension (.png, .svg, .pdf) picks the format.</summary>
    public async Task SaveAsync(GenericChart chart, string path, FigureSize? size = null)
    {
        var format = FigureSize.FormatOf(path);
        var bytes = await RenderAsync(chart, format, size).ConfigureAwait(false);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        await File.WriteAllBytesAsync(path, bytes).ConfigureAwait(false);
    }

    /// <summary>Renders a PNG wrapped for inline display (<c>display(await exporter.PngAsync(chart))</c> shows a static image).</summary>
    public async Task<PngImage> PngAsync(GenericChart chart, FigureSize? size = null) =>
        new(await RenderAsync(chart, FigureFormat.Png, size).ConfigureAwait(false));

    /// <summary>One-off export: starts Chromium, writes the file, closes Chromium. Prefer one exporter for many figures.</summary>
    public static async Task ExportAsync(GenericChart chart, string path, FigureSize? size = null, FigureExporterOptions? options = null)
    {
        var format = FigureSize.FormatOf(path);
        await using var exporter = await StartAsync(options).ConfigureAwait(false);
        var bytes = await exporter.RenderAsync(chart, format, size).ConfigureAwait(false);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        await File.WriteAllBytesAsync(path, bytes).ConfigureAwait(false);
    }

    /// <summary>Closes the browser and the Playwright driver.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _browser.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _playwright.Dispose();
            _gate.Dispose();
        }
    }

    private static FigureSize SizeOf(GenericChart chart)
    {
        var (w, h) = GenericChart.tryGetLayoutSize(chart);
        return new FigureSize(w?.Value ?? DefaultSize.Width, h?.Value ?? DefaultSize.Height);
    }

    private static string ShellHtml() =>
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>@page{margin:0}html,body{margin:0;padding:0;background:white;overflow:hidden}</style>" +
        "<script type=\"text/javascript\">" + PlotlyJs.Source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase) + "</script>" +
        "</head><body><div id=\"fig\"></div></body></html>";

    private const string DrawScript = """
        async ([fig, w, h]) => {
          const f = JSON.parse(fig);
          const div = document.getElementById('fig');
          Plotly.purge(div);
          div.style.width = w + 'px';
          div.style.height = h + 'px';
          const layout = Object.assign({}, f.layout || {}, { width: w, height: h });
          const config = Object.assign({}, f.config || {}, { staticPlot: true, displayModeBar: false, responsive: false });
          await Plotly.newPlot(div, f.data || [], layout, config);
          return true;
        }
        """;

    private const string ImageScript = """
        async ([fmt, w, h, s]) => await Plotly.toImage(document.getElementById('fig'), { format: fmt, width: w, height: h, scale: s })
        """;
}
