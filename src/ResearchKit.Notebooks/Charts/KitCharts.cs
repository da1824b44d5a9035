using System.Globalization;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using Plotly.NET.TraceObjects;
using TorchSharp;
using static ResearchKit.Notebooks.Charts.PlotlyObjects;

namespace ResearchKit.Notebooks.Charts;

/// <summary>
/// The kit's figures, all in one <see cref="ChartTheme"/>: Recall@k curves, ablation bars with seed error bars and paper
/// markers, deviation curves with a vertical marker, sweep lines and heatmaps, and class-coloured embedding scatters.
/// Each returns a Plotly.NET <see cref="GenericChart"/> that displays inline (offline) and exports with
/// <see cref="Export.FigureExporter"/>.
/// </summary>
public static class KitCharts
{
    /// <summary>Recall@k against k (log₂ axis), one line per method, with error bars when the curves carry a spread.</summary>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths, k &lt; 1 or recall outside [0, 1].</exception>
    public static GenericChart RecallAtK(IEnumerable<RecallCurve> curves, string? title = "Recall@K", ChartTheme? theme = null)
    {
        theme ??= ChartTheme.Publication;
        var list = NonEmpty(curves, nameof(curves));
        var traces = new List<Trace>();
        for (int i = 0; i < list.Count; i++)
        {
            var c = list[i];
            Check(c.K.Count == c.Recall.Count && c.K.Count > 0, nameof(curves), $"curve '{c.Name}': K and Recall must be non-empty and of equal length");
            Check(c.K.All(k => k >= 1), nameof(curves), $"curve '{c.Name}': every k must be ≥ 1");
            CheckFractions(c.Recall, nameof(curves), $"curve '{c.Name}'");
            if (c.Std is not null) Check(c.Std.Count == c.K.Count, nameof(curves), $"curve '{c.Name}': Std must have one value per k");
            traces.Add(Trace("scatter",
                ("name", c.Name), ("mode", "lines+markers"), ("x", c.K.ToArray()), ("y", c.Recall.ToArray()),
                ("line", Obj<Line>(("color", theme.Color(i)), ("width", theme.LineWidth))),
                ("marker", Obj<Marker>(("color", theme.Color(i)), ("size", theme.MarkerSize), ("symbol", Symbols[i % Symbols.Length]))),
                ("error_y", c.Std is null ? null : ErrorBars(c.Std, theme.Color(i)))));
        }
        var ks = list.SelectMany(c => c.K).Distinct().Order().ToArray();
        var x = Axis(theme, "K", ("type", "log"), ("tickvals", ks), ("ticktext", ks.Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray()));
        var y = Axis(theme, "Recall@K (%)", ("tickformat", ".0%"));
        return PlotlyObjects.Chart(traces, Layout(theme, title, x, y));
    }

    private const int MaxLegendEntriesInRow = 4;

    /// <summary>
    /// Grouped bars: one colour per variant, one group per x category, error bars of the spread over seeds, and a black
    /// diamond at the paper's value on each bar that has one.
    /// </summary>
    /// <exception cref="ArgumentException">Empty input, values outside [0, 1], a negative spread, or a duplicate (group, variant).</exception>
    public static GenericChart AblationBars(IEnumerable<AblationBar> bars, string metric = "Recall@1", string? title = null, ChartTheme? theme = null)
    {
        theme ??= ChartTheme.Publication;
        var list = NonEmpty(bars, nameof(bars));
        CheckFractions(list.Select(b => b.Mean), nameof(bars), "Mean");
        CheckFractions(list.Where(b => b.Paper is not null).Select(b => b.Paper!.Value), nameof(bars), "Paper");
        Check(list.All(b => b.Std >= 0 && double.IsFinite(b.Std)), nameof(bars), "Std must be finite and ≥ 0");
        var dup = list.GroupBy(b => (b.Group, b.Variant)).FirstOrDefault(g => g.Count() > 1);
        Check(dup is null, nameof(bars), $"duplicate bar ({dup?.Key.Group}, {dup?.Key.Variant}); give one bar per group and variant");

        var groups = list.Select(b => b.Group).Distinct().ToArray();
        var variants = list.Select(b => b.Variant).Distinct().ToArray();
        var traces = new List<Trace>();
        var markers = new List<Trace>(); // after all bars, so the legend lists the variants first
        for (int v = 0; v < variants.Length; v++)
        {
            var byGroup = list.Where(b => b.Variant == variants[v]).ToDictionary(b => b.Group);
            var means = groups.Select(g => byGroup.TryGetValue(g, out var b) ? b.Mean : (double?)null).ToArray();
            var stds = groups.Select(g => byGroup.TryGetValue(g, out var b) ? b.Std : 0).ToArray();
            traces.Add(Trace("bar",
                ("name", variants[v]), ("x", groups), ("y", means), ("offsetgroup", variants[v]), ("legendgroup", variants[v]),
                ("marker", Obj<Marker>(("color", theme.Color(v)), ("line", Obj<Line>(("color", theme.InkColor), ("width", 0.8))))),
                ("error_y", stds.Any(s => s > 0) ? ErrorBars(stds, theme.InkColor) : null),
                ("hovertemplate", $"{variants[v]}<br>%{{x}}: %{{y:.2%}}<extra></extra>")));
            var paper = groups.Select(g => byGroup.TryGetValue(g, out var b) ? b.Paper : null).ToArray();
            if (paper.Any(p => p is not null))
                markers.Add(Trace("scatter",
                    ("name", "paper"), ("mode", "markers"), ("x", groups), ("y", paper), ("offsetgroup", variants[v]),
                    ("legendgroup", "paper"), ("showlegend", markers.Count == 0),
                    ("marker", Obj<Marker>(("symbol", "diamond"), ("size", theme.MarkerSize + 3), ("color", theme.InkColor),
                        ("line", Obj<Line>(("color", "white"), ("width", 1.2))))),
                    ("hovertemplate", $"paper ({variants[v]})<br>%{{x}}: %{{y:.2%}}<extra></extra>")));
        }
        traces.AddRange(markers);
        var layout = Layout(theme, title, Axis(theme, "", ("showgrid", false)), Axis(theme, metric + " (%)", ("tickformat", ".0%"), ("rangemode", "tozero")));
        layout.SetProperty("barmode", "group");
        layout.SetProperty("scattermode", "group"); // puts each paper marker on its own bar (plotly.js ≥ 2.25)
        layout.SetProperty("bargap", 0.25);
        layout.SetProperty("bargroupgap", 0.06);
        // One row of legend above the bars fits a few entries; more would wrap into the title, so they keep the
        // layout's legend at the right.
        if (variants.Length + (markers.Count > 0 ? 1 : 0) <= MaxLegendEntriesInRow)
        {
            layout.SetProperty("legend", Obj<Legend>(("orientation", "h"), ("x", 0.0), ("y", 1.02), ("xanchor", "left"), ("yanchor", "bottom"),
                ("font", Font(theme, theme.FontSize - 1))));
            if (title is not null) layout.SetProperty("margin", Obj<Margin>(("l", 70), ("r", 20), ("t", 90), ("b", 60)));
        }
        return PlotlyObjects.Chart(traces, layout);
    }

    /// <summary>
    /// Curves over training (e.g. proxy-to-centre deviation per epoch), with optional ± bands and a dashed vertical marker
    /// (e.g. the epoch the calibration starts).
    /// </summary>
    public static GenericChart Deviation(IEnumerable<CurveSeries> curves, double? markerX = null, string? markerLabel = null,
        string xTitle = "epoch", string yTitle = "deviation", string? title = null, ChartTheme? theme = null)
    {
        theme ??= ChartTheme.Publication;
        var chart = Lines(curves, xTitle, yTitle, title, logX: false, theme, out var layout);
        if (markerX is { } m)
        {
            Check(double.IsFinite(m), nameof(markerX), "markerX must be finite");
            AddReferenceLines(layout, [new ReferenceLine(m, markerLabel)], theme, logX: false);
        }
        return PlotlyObjects.Chart(chart, layout);
    }

    /// <summary>
    /// A hyper-parameter sweep: metric against the swept value, one line per setting, optional ± bands and log x, and
    /// optional dashed vertical <paramref name="references"/> (e.g. the paper's best settings).
    /// </summary>
    /// <exception cref="ArgumentException">A reference line's x is not finite (or not positive on a log axis).</exception>
    public static GenericChart SweepLines(IEnumerable<CurveSeries> curves, string xTitle, string yTitle, bool logX = false,
        string? title = null, ChartTheme? theme = null, IReadOnlyList<ReferenceLine>? references = null)
    {
        theme ??= ChartTheme.Publication;
        var traces = Lines(curves, xTitle, yTitle, title, logX, theme, out var layout);
        if (references is { Count: > 0 })
        {
            Check(references.All(r => double.IsFinite(r.X) && (!logX || r.X > 0)), nameof(references),
                logX ? "reference lines need a finite x > 0 on a log axis" : "reference lines need a finite x");
            AddReferenceLines(layout, references, theme, logX);
        }
        return PlotlyObjects.Chart(traces, layout);
    }

    // Dashed vertical lines over the full plot height; labels at the top, staggered so neighbouring lines stay readable.
    // On a log axis plotly.js places shapes by data value but annotations by log10 of it.
    private static void AddReferenceLines(Layout layout, IReadOnlyList<ReferenceLine> lines, ChartTheme theme, bool logX)
    {
        layout.SetProperty("shapes", lines.Select(r =>
            Obj<Shape>(("type", "line"), ("xref", "x"), ("yref", "paper"), ("x0", r.X), ("x1", r.X), ("y0", 0), ("y1", 1),
                ("line", Obj<Line>(("color", "#555555"), ("width", 1.5), ("dash", "dash"))))).ToArray());
        var labelled = lines.Where(r => r.Label is not null).ToList();
        if (labelled.Count > 0)
            layout.SetProperty("annotations", labelled.Select((r, i) =>
                Obj<Annotation>(("x", logX ? Math.Log10(r.X) : r.X), ("xref", "x"), ("y", 1 - 0.07 * (i % 2)), ("yref", "paper"), ("text", r.Label!), ("showarrow", false),
                    ("xanchor", "left"), ("yanchor", "top"), ("xshift", 4), ("font", Font(theme, theme.FontSize - 1, "#555555")))).ToArray());
    }

    /// <summary>
    /// A two-parameter sweep as a heatmap: <paramref name="z"/>[row][column] over <paramref name="yLabels"/> × <paramref name="xLabels"/>,
    /// each cell annotated with its value.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not match the labels.</exception>
    public static GenericChart SweepHeatmap(IReadOnlyList<IReadOnlyList<double>> z, IReadOnlyList<string> xLabels, IReadOnlyList<string> yLabels,
        string xTitle, string yTitle, string zTitle, string valueFormat = ".3f", string? title = null, ChartTheme? theme = null)
    {
        theme ??= ChartTheme.Publication;
        Check(z.Count == yLabels.Count && z.Count > 0, nameof(z), $"z needs one row per y label ({yLabels.Count}), got {z.Count}");
        Check(z.All(r => r.Count == xLabels.Count), nameof(z), $"every row of z needs one value per x label ({xLabels.Count})");
        var trace = Trace("heatmap",
            ("z", z.Select(r => r.ToArray()).ToArray()), ("x", xLabels.ToArray()), ("y", yLabels.ToArray()),
            ("colorscale", "Viridis"), ("texttemplate", $"%{{z:{valueFormat}}}"),
            ("textfont", Font(theme, theme.FontSize - 2, "white")), ("xgap", 1), ("ygap", 1),
            ("colorbar", Obj<ColorBar>(("title", Obj<Title>(("text", zTitle), ("side", "right"), ("font", Font(theme)))),
                ("tickfont", Font(theme)), ("outlinewidth", 0))),
            ("hovertemplate", $"{xTitle}=%{{x}}<br>{yTitle}=%{{y}}<br>{zTitle}=%{{z:{valueFormat}}}<extra></extra>"));
        var layout = Layout(theme, title,
            Axis(theme, xTitle, ("type", "category"), ("showgrid", false), ("mirror", false), ("showline", false)),
            Axis(theme, yTitle, ("type", "category"), ("showgrid", false), ("mirror", false), ("showline", false)), showLegend: false);
        return PlotlyObjects.Chart([trace], layout);
    }

    /// <summary>
    /// A forest plot: each row's estimate as a marker with its interval as a horizontal error bar, one colour per group
    /// (groups side by side within a row), and a dashed vertical line at <paramref name="reference"/> (0 for differences).
    /// Rows keep the order they first appear in, top to bottom.
    /// </summary>
    /// <exception cref="ArgumentException">Empty input, a non-finite estimate, or an interval that does not contain its estimate.</exception>
    public static GenericChart Forest(IEnumerable<IntervalRow> rows, string xTitle, string? title = null, double reference = 0, ChartTheme? theme = null)
    {
        theme ??= ChartTheme.Publication;
        var list = NonEmpty(rows, nameof(rows));
        Check(list.All(r => double.IsFinite(r.Mean)), nameof(rows), "every Mean must be finite");
        Check(list.All(r => (double.IsNaN(r.Lower) || r.Lower <= r.Mean + 1e-12) && (double.IsNaN(r.Upper) || r.Upper >= r.Mean - 1e-12)), nameof(rows),
            "every interval must contain its Mean (Lower <= Mean <= Upper, or NaN for none)");
        var labels = list.Select(r => r.Label).Distinct().ToArray();
        var groups = list.Select(r => r.Group).Distinct().ToArray();
        var traces = new List<Trace>();
        for (int g = 0; g < groups.Length; g++)
        {
            var byLabel = list.Where(r => r.Group == groups[g]).ToDictionary(r => r.Label);
            var present = labels.Where(byLabel.ContainsKey).ToArray();
            var pts = present.Select(l => byLabel[l]).ToArray();
            traces.Add(Trace("scatter",
                ("name", groups[g]), ("mode", "markers"), ("orientation", "h"),
                ("x", pts.Select(p => p.Mean).ToArray()), ("y", present),
                ("marker", Obj<Marker>(("color", theme.Color(g)), ("size", theme.MarkerSize + 1), ("symbol", Symbols[g % Symbols.Length]))),
                ("error_x", Obj<Error>(("type", "data"), ("symmetric", false), ("visible", true), ("color", theme.Color(g)), ("thickness", 1.6), ("width", 4),
                    ("array", pts.Select(p => double.IsNaN(p.Upper) ? 0 : p.Upper - p.Mean).ToArray()),
                    ("arrayminus", pts.Select(p => double.IsNaN(p.Lower) ? 0 : p.Mean - p.Lower).ToArray()))),
                ("hovertemplate", $"{groups[g]}<br>%{{y}}: %{{x:.2f}}<extra></extra>")));
        }
        var y = Axis(theme, "", ("type", "category"), ("autorange", "reversed"), ("showgrid", true));
        var layout = Layout(theme, title, Axis(theme, xTitle, ("zeroline", false)), y, showLegend: groups.Length > 1);
        layout.SetProperty("scattermode", "group");
        layout.SetProperty("shapes", new[]
        {
            Obj<Shape>(("type", "line"), ("xref", "x"), ("yref", "paper"), ("x0", reference), ("x1", reference), ("y0", 0), ("y1", 1),
                ("line", Obj<Line>(("color", "#555555"), ("width", 1.5), ("dash", "dash")))),
        });
        layout.SetProperty("height", Math.Max(360, 120 + 28 * labels.Length));
        return PlotlyObjects.Chart(traces, layout);
    }

    /// <summary>
    /// A matrix of categorical outcomes (rows × columns), each cell coloured by its outcome's position in
    /// <paramref name="outcomes"/> with the matching colour of <paramref name="colors"/>, labelled with the outcome, and
    /// <see cref="VerdictCell.Detail"/> on hover. A cell that is absent stays blank.
    /// </summary>
    /// <exception cref="ArgumentException">Empty input, colours that do not match the outcomes, an unknown outcome, or a duplicate cell.</exception>
    public static GenericChart VerdictMatrix(IEnumerable<VerdictCell> cells, IReadOnlyList<string> outcomes, IReadOnlyList<string> colors,
        string? title = null, ChartTheme? theme = null)
    {
        theme ??= ChartTheme.Publication;
        var list = NonEmpty(cells, nameof(cells));
        Check(outcomes.Count > 0 && outcomes.Count == colors.Count, nameof(colors), $"give one colour per outcome ({outcomes.Count}), got {colors.Count}");
        var unknown = list.FirstOrDefault(c => !outcomes.Contains(c.Outcome));
        Check(unknown is null, nameof(cells), $"cell ({unknown?.Row}, {unknown?.Column}) has outcome '{unknown?.Outcome}'; expected one of {string.Join(", ", outcomes)}");
        var dup = list.GroupBy(c => (c.Row, c.Column)).FirstOrDefault(g => g.Count() > 1);
        Check(dup is null, nameof(cells), $"duplicate cell ({dup?.Key.Row}, {dup?.Key.Column})");
        var rows = list.Select(c => c.Row).Distinct().ToArray();
        var columns = list.Select(c => c.Column).Distinct().ToArray();
        var at = list.ToDictionary(c => (c.Row, c.Column));
        var index = outcomes.Select((o, i) => (o, i)).ToDictionary(x => x.o, x => (double)x.i);
        double?[][] z = rows.Select(r => columns.Select(c => at.TryGetValue((r, c), out var v) ? index[v.Outcome] : (double?)null).ToArray()).ToArray();
        string[][] text = rows.Select(r => columns.Select(c => at.TryGetValue((r, c), out var v) ? v.Outcome : "").ToArray()).ToArray();
        string[][] hover = rows.Select(r => columns.Select(c => at.TryGetValue((r, c), out var v) ? v.Detail : "").ToArray()).ToArray();
        // A stepped colour scale: outcome i fills [i, i + 1) / n, so each index gets exactly its colour.
        int n = outcomes.Count;
        var scale = Enumerable.Range(0, n).SelectMany(i => new object[] { new object[] { (double)i / n, colors[i] }, new object[] { (double)(i + 1) / n, colors[i] } }).ToArray();
        var trace = Trace("heatmap",
            ("z", z), ("x", columns), ("y", rows), ("zmin", -0.5), ("zmax", n - 0.5), ("colorscale", scale), ("showscale", false),
            ("text", text), ("texttemplate", "%{text}"), ("textfont", Font(theme, theme.FontSize - 2, theme.InkColor)),
            ("customdata", hover), ("xgap", 2), ("ygap", 2),
            ("hovertemplate", "%{y} · %{x}<br>%{text}<br>%{customdata}<extra></extra>"));
        var layout = Layout(theme, title,
            Axis(theme, "", ("type", "category"), ("side", "top"), ("showgrid", false), ("mirror", false), ("showline", false)),
            Axis(theme, "", ("type", "category"), ("autorange", "reversed"), ("showgrid", false), ("mirror", false), ("showline", false)), showLegend: false);
        layout.SetProperty("height", Math.Max(360, 140 + 30 * rows.Length));
        return PlotlyObjects.Chart([trace], layout);
    }

    /// <summary>
    /// A 2-D embedding (e.g. t-SNE) coloured by class, with optional proxies (stars) and class centres (diamonds) drawn in
    /// their class's colour with a black outline. Rows of <paramref name="points"/> are samples (N × 2).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes are not N × 2, or label counts do not match.</exception>
    public static GenericChart EmbeddingScatter(double[,] points, int[] labels, double[,]? proxies = null, int[]? proxyLabels = null,
        double[,]? centers = null, int[]? centerLabels = null, IReadOnlyList<string>? classNames = null, string? title = null, ChartTheme? theme = null)
    {
        theme ??= ChartTheme.Publication;
        CheckPoints(points, labels, nameof(points));
        if (proxies is not null) CheckPoints(proxies, proxyLabels ?? throw new ArgumentException("proxyLabels are required with proxies", nameof(proxyLabels)), nameof(proxies));
        if (centers is not null) CheckPoints(centers, centerLabels ?? throw new ArgumentException("centerLabels are required with centers", nameof(centerLabels)), nameof(centers));
        var classes = labels.Concat(proxyLabels ?? []).Concat(centerLabels ?? []).Distinct().Order().ToArray();
        var colorOf = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => theme.Color(p.i));
        string Name(int c) => classNames is not null && c >= 0 && c < classNames.Count ? classNames[c] : $"class {c}";
        bool legendPerClass = classes.Length <= 12;

        var traces = new List<Trace>();
        foreach (var c in classes)
        {
            var idx = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            if (idx.Length == 0) continue;
            traces.Add(Trace("scatter",
                ("name", Name(c)), ("mode", "markers"), ("legendgroup", Name(c)), ("showlegend", legendPerClass),
                ("x", idx.Select(i => points[i, 0]).ToArray()), ("y", idx.Select(i => points[i, 1]).ToArray()),
                ("marker", Obj<Marker>(("color", colorOf[c]), ("size", Math.Max(3, theme.MarkerSize - 2)), ("opacity", 0.7))),
                ("hovertemplate", $"{Name(c)}<extra></extra>")));
        }
        if (proxies is not null)
            traces.Add(Overlay("proxies", "star", theme.MarkerSize + 8, proxies, proxyLabels!, colorOf, theme));
        if (centers is not null)
            traces.Add(Overlay("class centres", "diamond", theme.MarkerSize + 4, centers, centerLabels!, colorOf, theme));
        var layout = Layout(theme, title,
            // t-SNE axes carry no units: a plain frame, equal aspect.
            Axis(theme, "", ("showticklabels", false), ("ticks", ""), ("showgrid", false)),
            Axis(theme, "", ("showticklabels", false), ("ticks", ""), ("showgrid", false), ("scaleanchor", "x"), ("scaleratio", 1)));
        layout.SetProperty("legend", Obj<Legend>(("x", 1.02), ("xanchor", "left"), ("y", 1.0), ("yanchor", "top"), ("font", Font(theme, theme.FontSize - 1))));
        layout.SetProperty("margin", Obj<Margin>(("l", 40), ("r", 20), ("t", title is null ? 20 : 56), ("b", 40)));
        return PlotlyObjects.Chart(traces, layout);
    }

    /// <summary><see cref="EmbeddingScatter(double[,], int[], double[,], int[], double[,], int[], IReadOnlyList{string}, string, ChartTheme)"/> for tensors (N × 2 points, N labels).</summary>
    public static GenericChart EmbeddingScatter(torch.Tensor points, torch.Tensor labels, torch.Tensor? proxies = null, torch.Tensor? proxyLabels = null,
        torch.Tensor? centers = null, torch.Tensor? centerLabels = null, IReadOnlyList<string>? classNames = null, string? title = null, ChartTheme? theme = null)
        => EmbeddingScatter(ToMatrix(points, nameof(points)), ToLabels(labels), proxies is null ? null : ToMatrix(proxies, nameof(proxies)),
            proxyLabels is null ? null : ToLabels(proxyLabels), centers is null ? null : ToMatrix(centers, nameof(centers)),
            centerLabels is null ? null : ToLabels(centerLabels), classNames, title, theme);

    private static readonly string[] Symbols = ["circle", "square", "diamond", "triangle-up", "cross", "x", "triangle-down", "pentagon"];

    private static List<Trace> Lines(IEnumerable<CurveSeries> curves, string xTitle, string yTitle, string? title, bool logX, ChartTheme theme, out Layout layout)
    {
        var list = NonEmpty(curves, nameof(curves));
        var traces = new List<Trace>();
        for (int i = 0; i < list.Count; i++)
        {
            var c = list[i];
            Check(c.X.Count == c.Y.Count && c.X.Count > 0, nameof(curves), $"series '{c.Name}': X and Y must be non-empty and of equal length");
            if (logX) Check(c.X.All(v => v > 0), nameof(curves), $"series '{c.Name}': a log x axis needs x > 0");
            if (c.Std is not null)
            {
                Check(c.Std.Count == c.X.Count, nameof(curves), $"series '{c.Name}': Std must have one value per x");
                // The band: upper edge, then the lower edge filled up to it.
                traces.Add(Trace("scatter", ("x", c.X.ToArray()), ("y", c.Y.Zip(c.Std, (m, s) => m + s).ToArray()), ("mode", "lines"),
                    ("line", Obj<Line>(("width", 0), ("color", theme.Translucent(i)))), ("showlegend", false), ("hoverinfo", "skip"), ("legendgroup", c.Name)));
                traces.Add(Trace("scatter", ("x", c.X.ToArray()), ("y", c.Y.Zip(c.Std, (m, s) => m - s).ToArray()), ("mode", "lines"),
                    ("fill", "tonexty"), ("fillcolor", theme.Translucent(i)), ("line", Obj<Line>(("width", 0), ("color", theme.Translucent(i)))),
                    ("showlegend", false), ("hoverinfo", "skip"), ("legendgroup", c.Name)));
            }
            traces.Add(Trace("scatter", ("name", c.Name), ("mode", c.X.Count <= 30 ? "lines+markers" : "lines"), ("legendgroup", c.Name),
                ("x", c.X.ToArray()), ("y", c.Y.ToArray()),
                ("line", Obj<Line>(("color", theme.Color(i)), ("width", theme.LineWidth))),
                ("marker", Obj<Marker>(("color", theme.Color(i)), ("size", theme.MarkerSize - 1), ("symbol", Symbols[i % Symbols.Length])))));
        }
        layout = Layout(theme, title, Axis(theme, xTitle, ("type", logX ? "log" : "linear")), Axis(theme, yTitle));
        return traces;
    }

    private static Trace Overlay(string name, string symbol, int size, double[,] pts, int[] labels, Dictionary<int, string> colorOf, ChartTheme theme) =>
        Trace("scatter", ("name", name), ("mode", "markers"),
            ("x", Enumerable.Range(0, labels.Length).Select(i => pts[i, 0]).ToArray()),
            ("y", Enumerable.Range(0, labels.Length).Select(i => pts[i, 1]).ToArray()),
            ("marker", Obj<Marker>(("symbol", symbol), ("size", size), ("color", labels.Select(l => colorOf[l]).ToArray()),
                ("line", Obj<Line>(("color", theme.InkColor), ("width", 1.3))))),
            ("hovertemplate", $"{name}<extra></extra>"));

    private static Error ErrorBars(IEnumerable<double> std, string color) =>
        Obj<Error>(("type", "data"), ("array", std.ToArray()), ("visible", true), ("color", color), ("thickness", 1.4), ("width", 5));

    private static List<T> NonEmpty<T>(IEnumerable<T> items, string name)
    {
        ArgumentNullException.ThrowIfNull(items, name);
        var list = items.ToList();
        if (list.Count == 0) throw new ArgumentException("at least one series is required", name);
        return list;
    }

    private static void Check(bool ok, string name, string message)
    {
        if (!ok) throw new ArgumentException(message, name);
    }

    private static void CheckFractions(IEnumerable<double> values, string name, string what)
    {
        foreach (var v in values)
            if (!(v >= 0 && v <= 1)) throw new ArgumentException($"{what}: values must be fractions in [0, 1] (got {v.ToString(CultureInfo.InvariantCulture)})", name);
    }

    private static void CheckPoints(double[,] pts, int[] labels, string name)
    {
        if (pts.GetLength(1) != 2) throw new ArgumentException($"{name} must be N × 2 (got N × {pts.GetLength(1)})", name);
        if (pts.GetLength(0) != labels.Length) throw new ArgumentException($"{name} has {pts.GetLength(0)} rows but {labels.Length} labels", name);
    }

    private static double[,] ToMatrix(torch.Tensor t, string name)
    {
        if (t.dim() != 2 || t.shape[1] != 2) throw new ArgumentException($"{name} must be a 2-D N × 2 tensor (got shape [{string.Join(", ", t.shape)}])", name);
        using var d = t.detach().cpu().to_type(torch.ScalarType.Float64).contiguous();
        var flat = d.data<double>().ToArray();
        var m = new double[t.shape[0], 2];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(double));
        return m;
    }

    private static int[] ToLabels(torch.Tensor t)
    {
        using var d = t.detach().cpu().to_type(torch.ScalarType.Int32).contiguous().reshape(-1);
        return d.data<int>().ToArray();
    }
}
