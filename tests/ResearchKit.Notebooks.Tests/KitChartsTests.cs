using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Charts;
using ResearchKit.Notebooks.Export;

namespace ResearchKit.Notebooks.Tests;

public class KitChartsTests
{
    private static JsonObject Figure(Plotly.NET.GenericChart chart) => JsonNode.Parse(ChartHtml.ToFigureJson(chart))!.AsObject();

    [Fact]
    public void Ablation_bars_carry_error_bars_and_paper_markers_on_their_bars()
    {
        var fig = Figure(KitCharts.AblationBars(
        [
            new AblationBar("CUB", "PA", 0.60, 0.01, 0.61), new AblationBar("CUB", "CP", 0.65, 0.02),
            new AblationBar("Cars", "PA", 0.80, 0.01, 0.82), new AblationBar("Cars", "CP", 0.84, 0.02, 0.85),
        ]));
        var data = fig["data"]!.AsArray();
        var bars = data.Where(t => t!["type"]!.GetValue<string>() == "bar").ToList();
        Assert.Equal(2, bars.Count);
        Assert.Equal(new[] { 0.01, 0.01 }, bars[0]!["error_y"]!["array"]!.AsArray().Select(v => v!.GetValue<double>()));
        var markers = data.Where(t => t!["type"]!.GetValue<string>() == "scatter").ToList();
        Assert.Equal(new[] { "bar", "bar", "scatter", "scatter" }, data.Select(t => t!["type"]!.GetValue<string>()));
        Assert.Equal(2, markers.Count);
        Assert.Equal("CP", markers[1]!["offsetgroup"]!.GetValue<string>());
        Assert.Null(markers[1]!["y"]![0]); // CUB/CP has no paper value
        Assert.Equal(1, markers.Count(m => m!["showlegend"]!.GetValue<bool>()));
        Assert.Equal("group", fig["layout"]!["scattermode"]!.GetValue<string>());
        Assert.Equal(".0%", fig["layout"]!["yaxis"]!["tickformat"]!.GetValue<string>());
    }

    [Fact]
    public void Theme_is_shared_by_every_chart()
    {
        var figures = new[]
        {
            Figure(KitCharts.RecallAtK([new RecallCurve("a", [1, 2], [0.5, 0.6])])),
            Figure(KitCharts.SweepLines([new CurveSeries("a", [1, 2], [1, 2])], "lr", "R@1", logX: true)),
            Figure(KitCharts.Deviation([new CurveSeries("a", [1, 2], [1, 2])], markerX: 1.5, markerLabel: "start")),
        };
        foreach (var f in figures)
        {
            Assert.Equal(ChartTheme.Publication.FontFamily, f["layout"]!["font"]!["family"]!.GetValue<string>());
            Assert.Equal(ChartTheme.Publication.Width, f["layout"]!["width"]!.GetValue<int>());
            Assert.Equal("white", f["layout"]!["plot_bgcolor"]!.GetValue<string>());
            Assert.Equal(ChartTheme.Publication.Color(0), f["data"]!.AsArray().Last()!["line"]!["color"]!.GetValue<string>());
        }
        Assert.Equal("log", figures[0]["layout"]!["xaxis"]!["type"]!.GetValue<string>());
        Assert.Equal("log", figures[1]["layout"]!["xaxis"]!["type"]!.GetValue<string>());
        var shape = figures[2]["layout"]!["shapes"]![0]!;
        Assert.Equal(1.5, shape["x0"]!.GetValue<double>());
        Assert.Equal("dash", shape["line"]!["dash"]!.GetValue<string>());
    }

    [Fact]
    public void Sweep_reference_lines_are_dashed_verticals_with_staggered_labels()
    {
        var fig = Figure(KitCharts.SweepLines([new CurveSeries("a", [10, 30, 50], [1, 2, 3])], "M", "R@1",
            references: [new ReferenceLine(30, "paper best"), new ReferenceLine(35, "paper best")]));
        var shapes = fig["layout"]!["shapes"]!.AsArray();
        Assert.Equal(new[] { 30.0, 35.0 }, shapes.Select(s => s!["x0"]!.GetValue<double>()));
        Assert.All(shapes, s => Assert.Equal(("dash", "paper"), (s!["line"]!["dash"]!.GetValue<string>(), s["yref"]!.GetValue<string>())));
        var labels = fig["layout"]!["annotations"]!.AsArray();
        Assert.Equal(new[] { "paper best", "paper best" }, labels.Select(a => a!["text"]!.GetValue<string>()));
        Assert.NotEqual(labels[0]!["y"]!.GetValue<double>(), labels[1]!["y"]!.GetValue<double>());

        // Log axis: shapes stay in data units, annotations take log10 (plotly.js's convention).
        var log = Figure(KitCharts.SweepLines([new CurveSeries("a", [1, 100], [1, 2])], "x", "y", logX: true, references: [new ReferenceLine(10, "ten")]));
        Assert.Equal(10, log["layout"]!["shapes"]![0]!["x0"]!.GetValue<double>());
        Assert.Equal(1, log["layout"]!["annotations"]![0]!["x"]!.GetValue<double>(), 9);
        Assert.Throws<ArgumentException>(() => KitCharts.SweepLines([new CurveSeries("a", [1, 2], [1, 2])], "x", "y", logX: true, references: [new ReferenceLine(0)]));
    }

    [Fact]
    public void Std_bands_add_a_filled_band_per_series()
    {
        var fig = Figure(KitCharts.SweepLines([new CurveSeries("a", [1, 2, 3], [1, 2, 3], [0.1, 0.2, 0.3])], "x", "y"));
        var data = fig["data"]!.AsArray();
        Assert.Equal(3, data.Count);
        Assert.Equal(new[] { 1.1, 2.2, 3.3 }, data[0]!["y"]!.AsArray().Select(v => Math.Round(v!.GetValue<double>(), 9)));
        Assert.Equal("tonexty", data[1]!["fill"]!.GetValue<string>());
    }

    [Fact]
    public void Embedding_scatter_draws_one_trace_per_class_plus_proxies_and_centres()
    {
        var points = new double[,] { { 0, 0 }, { 1, 1 }, { 5, 5 }, { 6, 6 } };
        var fig = Figure(KitCharts.EmbeddingScatter(points, [0, 0, 1, 1], proxies: new double[,] { { 0.5, 0.5 }, { 5.5, 5.5 } }, proxyLabels: [0, 1],
            centers: new double[,] { { 0.4, 0.4 }, { 5.4, 5.4 } }, centerLabels: [0, 1], classNames: ["cat", "dog"]));
        var data = fig["data"]!.AsArray();
        Assert.Equal(new[] { "cat", "dog", "proxies", "class centres" }, data.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal("star", data[2]!["marker"]!["symbol"]!.GetValue<string>());
        Assert.Equal(data[1]!["marker"]!["color"]!.GetValue<string>(), data[3]!["marker"]!["color"]![1]!.GetValue<string>());
    }

    [Fact]
    public void Heatmap_annotates_cells_with_values()
    {
        var fig = Figure(KitCharts.SweepHeatmap([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], ["1", "2", "3"], ["a", "b"], "K", "λ", "R@1", valueFormat: ".2f"));
        var t = fig["data"]![0]!;
        Assert.Equal("heatmap", t["type"]!.GetValue<string>());
        Assert.Equal("%{z:.2f}", t["texttemplate"]!.GetValue<string>());
    }

    [Fact]
    public void Forest_draws_asymmetric_intervals_per_group_around_a_dashed_reference()
    {
        var fig = Figure(KitCharts.Forest(
        [
            new IntervalRow("scratch", "primary", -0.5, -1.5, 0.25), new IntervalRow("frozen", "primary", 0.2, 0.1, 0.6),
            new IntervalRow("frozen", "beta=0.1", 0.0, double.NaN, double.NaN),
        ], "ΔR@1"));
        var data = fig["data"]!.AsArray();
        Assert.Equal(2, data.Count);   // one trace per group
        var scratch = data[0]!;
        Assert.Equal(new[] { 0.75 }, scratch["error_x"]!["array"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(new[] { 1.0 }, scratch["error_x"]!["arrayminus"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(new[] { "primary", "beta=0.1" }, data[1]!["y"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(0.0, data[1]!["error_x"]!["array"]![1]!.GetValue<double>());   // one seed: the point alone
        var line = fig["layout"]!["shapes"]![0]!;
        Assert.Equal(("dash", 0.0), (line["line"]!["dash"]!.GetValue<string>(), line["x0"]!.GetValue<double>()));
        Assert.Throws<ArgumentException>(() => KitCharts.Forest([new IntervalRow("g", "r", 1.0, 1.5, 2.0)], "x"));   // interval misses its mean
    }

    [Fact]
    public void Verdict_matrix_colours_each_cell_by_its_outcome_and_leaves_absent_cells_blank()
    {
        string[] outcomes = ["holds", "fails", "inconclusive"];
        var fig = Figure(KitCharts.VerdictMatrix(
        [
            new VerdictCell("primary", "(i)", "fails", "-0.16 [-0.38, +0.06]"), new VerdictCell("primary", "(ii)", "holds"),
            new VerdictCell("beta=0.1", "(i)", "inconclusive"),
        ], outcomes, ["#0000ff", "#ff0000", "#888888"]));
        var t = fig["data"]![0]!;
        Assert.Equal("heatmap", t["type"]!.GetValue<string>());
        var z = t["z"]!.AsArray();
        Assert.Equal(new double?[] { 1, 0 }, z[0]!.AsArray().Select(v => v?.GetValue<double>()));
        Assert.Equal(new double?[] { 2, null }, z[1]!.AsArray().Select(v => v?.GetValue<double>()));
        Assert.Equal("fails", t["text"]![0]![0]!.GetValue<string>());
        // Index i maps to the middle of its colour step: zmin/zmax of ±0.5 around the indices.
        Assert.Equal((-0.5, 2.5), (t["zmin"]!.GetValue<double>(), t["zmax"]!.GetValue<double>()));
        Assert.Throws<ArgumentException>(() => KitCharts.VerdictMatrix([new VerdictCell("a", "b", "maybe")], outcomes, ["#0000ff", "#ff0000", "#888888"]));
        Assert.Throws<ArgumentException>(() => KitCharts.VerdictMatrix([new VerdictCell("a", "b", "holds")], outcomes, ["#0000ff"]));
    }

    [Fact]
    public void Bad_input_is_rejected_with_the_expected_form()
    {
        Assert.Throws<ArgumentException>(() => KitCharts.RecallAtK([]));
        Assert.Throws<ArgumentException>(() => KitCharts.RecallAtK([new RecallCurve("a", [1, 2], [65.0, 70.0])])); // percent, not fraction
        Assert.Throws<ArgumentException>(() => KitCharts.RecallAtK([new RecallCurve("a", [0, 2], [0.5, 0.6])]));
        Assert.Throws<ArgumentException>(() => KitCharts.AblationBars([new AblationBar("g", "v", 0.5), new AblationBar("g", "v", 0.6)]));
        Assert.Throws<ArgumentException>(() => KitCharts.SweepLines([new CurveSeries("a", [1, 2], [1])], "x", "y"));
        Assert.Throws<ArgumentException>(() => KitCharts.SweepLines([new CurveSeries("a", [0, 2], [1, 2])], "x", "y", logX: true));
        Assert.Throws<ArgumentException>(() => KitCharts.SweepHeatmap([[0.1]], ["a", "b"], ["c"], "x", "y", "z"));
        Assert.Throws<ArgumentException>(() => KitCharts.EmbeddingScatter(new double[3, 3], [0, 1, 2]));
        Assert.Throws<ArgumentException>(() => KitCharts.EmbeddingScatter(new double[3, 2], [0, 1]));
    }

    [Theory]
    [InlineData(3, "h")]
    [InlineData(6, "v")]   // six variants wrapped into the title above the bars (notebook 06); they go to the right
    public void Ablation_bar_legend_moves_right_when_it_would_not_fit_one_row(int variants, string orientation)
    {
        var fig = Figure(KitCharts.AblationBars(
            Enumerable.Range(0, variants).Select(v => new AblationBar("glyphs", $"variant {v}", 0.8, 0.01)), title: "switches"));
        Assert.Equal(orientation, fig["layout"]!["legend"]!["orientation"]!.GetValue<string>());
    }

    [Fact]
    public void Palette_extends_past_eight_series_with_distinct_colours()
    {
        var colors = Enumerable.Range(0, 20).Select(ChartTheme.Publication.Color).ToList();
        Assert.Equal(20, colors.Distinct().Count());
        Assert.Equal("#0072B2", colors[0]);
    }
}
