using DynamicObj;
using Plotly.NET;
using Plotly.NET.LayoutObjects;

namespace ResearchKit.Notebooks.Charts;

/// <summary>
/// Small builders for Plotly.NET's dynamic objects. The kit sets plotly.js attributes by name (as in the plotly.js
/// reference) instead of through F# optional arguments, but keeps Plotly.NET's own object types so the charts still work
/// with Plotly.NET's styling functions afterwards.
/// </summary>
internal static class PlotlyObjects
{
    public static T Obj<T>(params (string Key, object? Value)[] properties) where T : DynamicObj.DynamicObj, new()
    {
        var o = new T();
        foreach (var (k, v) in properties)
            if (v is not null) o.SetProperty(k, v);
        return o;
    }

    public static DynamicObj.DynamicObj Dyn(params (string Key, object? Value)[] properties) => Obj<DynamicObj.DynamicObj>(properties);

    public static Trace2D Trace(string type, params (string Key, object? Value)[] properties)
    {
        var t = new Trace2D(type);
        foreach (var (k, v) in properties)
            if (v is not null) t.SetProperty(k, v);
        return t;
    }

    public static Font Font(ChartTheme theme, int? size = null, string? color = null) =>
        Obj<Font>(("family", theme.FontFamily), ("size", size ?? theme.FontSize), ("color", color ?? theme.InkColor));

    public static LinearAxis Axis(ChartTheme theme, string title, params (string Key, object? Value)[] extra)
    {
        var axis = Obj<LinearAxis>(
            ("title", Obj<Title>(("text", title), ("font", Font(theme)), ("standoff", 8))),
            ("showline", true), ("linecolor", theme.InkColor), ("linewidth", 1.2), ("mirror", true),
            ("ticks", "outside"), ("ticklen", 5), ("tickwidth", 1.2), ("tickcolor", theme.InkColor),
            ("tickfont", Font(theme)),
            ("showgrid", true), ("gridcolor", theme.GridColor), ("gridwidth", 1),
            ("zeroline", false), ("automargin", true));
        foreach (var (k, v) in extra)
            if (v is not null) axis.SetProperty(k, v);
        return axis;
    }

    public static Layout Layout(ChartTheme theme, string? title, LinearAxis xAxis, LinearAxis yAxis, bool showLegend = true)
    {
        var layout = Obj<Layout>(
            ("font", Font(theme)),
            ("width", theme.Width), ("height", theme.Height),
            ("paper_bgcolor", "white"), ("plot_bgcolor", "white"),
            ("margin", Obj<Margin>(("l", 70), ("r", 20), ("t", title is null ? 20 : 56), ("b", 60))),
            ("xaxis", xAxis), ("yaxis", yAxis),
            ("showlegend", showLegend),
            ("legend", Obj<Legend>(("bgcolor", "rgba(255,255,255,0.85)"), ("bordercolor", theme.GridColor), ("borderwidth", 1),
                ("font", Font(theme, theme.FontSize - 1)),
                // Outside the plot area, top right: inside, it covered data points (seen on the loss and Table V curves).
                ("orientation", "v"), ("x", 1.02), ("xanchor", "left"), ("y", 1.0), ("yanchor", "top"))),
            ("colorway", theme.Colors.ToArray()),
            ("hovermode", "closest"));
        if (title is not null)
            layout.SetProperty("title", Obj<Title>(("text", title), ("font", Font(theme, theme.TitleFontSize)), ("x", 0.5), ("xanchor", "center")));
        return layout;
    }

    /// <summary>A chart from traces and a layout, set to embed plotly.js in standalone HTML (offline).</summary>
    public static GenericChart Chart(IEnumerable<Trace> traces, Layout layout)
    {
        var chart = GenericChart.ofTraceObjects(false, traces.ToList());
        chart = GenericChart.setLayout(layout, chart);
        chart = GenericChart.setConfig(Obj<Config>(("responsive", false), ("displaylogo", false)), chart);
        return Export.ChartHtml.WithEmbeddedPlotlyJs(chart);
    }
}
