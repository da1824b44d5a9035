using System.Text;
using Newtonsoft.Json;
using Plotly.NET;

namespace ResearchKit.Notebooks.Export;

/// <summary>
/// Offline HTML for charts: standalone documents with plotly.js embedded (Plotly.NET's <c>PlotlyJSReference.Full</c>, no
/// CDN), notebook fragments, and the figure JSON (data, layout, config) the exporter renders.
/// </summary>
public static class ChartHtml
{
    private static int _fragmentCounter;

    /// <summary>The chart with display options that embed plotly.js in full when saved as HTML.</summary>
    public static GenericChart WithEmbeddedPlotlyJs(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var options = DisplayOptions.setPlotlyReference(PlotlyJSReference.Full).Invoke(new DisplayOptions());
        return GenericChart.addDisplayOptions(options, chart);
    }

    /// <summary>A complete HTML document that draws the chart with no network access (about 3.6 MB: plotly.js is inline).</summary>
    public static string ToStandaloneHtml(GenericChart chart) => GenericChart.toEmbeddedHTML(WithEmbeddedPlotlyJs(chart));

    /// <summary>Writes <see cref="ToStandaloneHtml"/> to <paramref name="path"/> (UTF-8), creating the folder.</summary>
    public static void Save(GenericChart chart, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToStandaloneHtml(chart), new UTF8Encoding(false));
    }

    /// <summary>The figure as plotly.js JSON: <c>{"data": [...], "layout": {...}, "config": {...}}</c>.</summary>
    public static string ToFigureJson(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var data = JsonConvert.SerializeObject(GenericChart.getTraces(chart), Globals.JSON_CONFIG);
        var layout = JsonConvert.SerializeObject(GenericChart.getLayout(chart), Globals.JSON_CONFIG);
        var config = JsonConvert.SerializeObject(GenericChart.getConfig(chart), Globals.JSON_CONFIG);
        return $"{{\"data\":{data},\"layout\":{layout},\"config\":{config}}}";
    }

    /// <summary>
    /// An HTML fragment for a notebook output (about 10 KB): a div plus a script that draws the chart with the page's
    /// plotly.js, which the kit's set-up cell delivers once per notebook (<see cref="Interactive.PlotlyJsDelivery"/>). No
    /// network: without plotly.js on the page the div says so instead of fetching it.
    /// </summary>
    public static string ToNotebookFragment(GenericChart chart)
    {
        var id = $"researchkit-chart-{Interlocked.Increment(ref _fragmentCounter)}-{Environment.ProcessId}";
        var sb = new StringBuilder(4096);
        sb.Append("<div id=\"").Append(id).Append("\" class=\"researchkit-chart\"></div>\n");
        sb.Append("<script type=\"text/javascript\">\n(function () {\n  var fig = ").Append(ToFigureJson(chart)).Append(";\n");
        sb.Append("  var tries = 0;\n");
        sb.Append("  (function draw() {\n");
        sb.Append("    var el = document.getElementById('").Append(id).Append("');\n");
        sb.Append("    if (typeof window.Plotly !== 'undefined') { window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); return; }\n");
        sb.Append("    if (++tries < 50) { setTimeout(draw, 100); return; }\n");
        sb.Append("    el.textContent = 'plotly.js is not on this page: run the notebook\\'s set-up cell (researchkit.dib) first.';\n");
        sb.Append("  })();\n})();\n</script>");
        return sb.ToString();
    }
}
