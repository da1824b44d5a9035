using Microsoft.Playwright;
using ResearchKit.Notebooks.Export;
using ResearchKit.Notebooks.Interactive;

namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// Renders a notebook's chart outputs in headless Chromium as a notebook frontend does: one page holding the notebook's
/// plotly.js output and the chart output, every network request recorded and refused.
/// </summary>
public sealed class ChartRendering : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>What one render gave.</summary>
    /// <param name="InkedFraction">Share of the chart element's pixels that are not white.</param>
    /// <param name="Requests">URLs the page tried to load (data: URLs excluded).</param>
    /// <param name="Drawn">True when plotly drew an SVG into the chart's element.</param>
    public sealed record Result(double InkedFraction, IReadOnlyList<string> Requests, bool Drawn);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var chromium = ChromiumLocator.Find(); // no Chromium: the ChromiumNotFoundException names the fix
        PlaywrightDriver.Use();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = FigureExporter.LaunchFlags });
    }

    /// <summary>Renders <paramref name="chartHtml"/> after <paramref name="plotlyJsHtml"/> (null: a page without plotly.js).</summary>
    public async Task<Result> RenderAsync(string? plotlyJsHtml, string chartHtml)
    {
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 700 } });
        try
        {
            var requests = new List<string>();
            page.Request += (_, r) => { if (!r.Url.StartsWith("data:", StringComparison.Ordinal)) requests.Add(r.Url); };
            await page.RouteAsync("**/*", route => route.Request.Url.StartsWith("data:", StringComparison.Ordinal) ? route.ContinueAsync() : route.AbortAsync());
            await page.SetContentAsync($"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"background:white\">{plotlyJsHtml}\n{chartHtml}</body></html>");
            bool drawn;
            try
            {
                await page.WaitForSelectorAsync(".researchkit-chart .main-svg", new PageWaitForSelectorOptions { Timeout = 15_000 });
                drawn = true;
            }
            catch (TimeoutException)
            {
                drawn = false;
            }
            if (!drawn) return new Result(0, requests, drawn);
            var shot = await page.Locator(".researchkit-chart").First.ScreenshotAsync();
            var image = DecodedPng.Decode(shot);
            return new Result(image.CountNonWhite() / (double)(image.Width * image.Height), requests, drawn);
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
