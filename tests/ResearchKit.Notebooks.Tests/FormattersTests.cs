using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using ResearchKit.Notebooks.Formatting;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Notebooks.Tests;

public class FormattersTests
{
    [Fact]
    public void Data_frame_html_is_a_compact_table_with_a_row_limit()
    {
        var df = new DataFrame(new Int32DataFrameColumn("seed", Enumerable.Range(0, 30)), new DoubleDataFrameColumn("R@1", Enumerable.Range(0, 30).Select(i => i / 3.0)));
        var html = DataFrameHtml.Render(df, maxRows: 5);
        Assert.Equal(6, System.Text.RegularExpressions.Regex.Matches(html, "<tr>").Count); // header + 5 rows
        Assert.Contains("… 25 more rows", html);
        Assert.Contains(">0.3333</td>", html);
        Assert.Contains("30 rows × 2 columns", html);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataFrameHtml.Render(df, 0));
    }

    [Fact]
    public void Kit_types_with_ToDataFrame_render_as_tables_through_the_formatter()
    {
        NotebookFormatters.Register();
        NotebookFormatters.RegisterConventions(typeof(FormattersTests).Assembly); // this assembly's name starts with ResearchKit
        var html = new SampleResult().ToDisplayString("text/html");
        Assert.Contains("<table", html);
        Assert.Contains(">CP</td>", html);
        Assert.Contains("text/html", Formatter.GetPreferredMimeTypesFor(typeof(SampleResult)));
    }

    [Fact]
    public void Training_results_render_as_html_tables()
    {
        NotebookFormatters.Register();
        var result = new TrainingResult("runs/pa", true, 8, 96, new Dictionary<string, double> { ["recall_at_1"] = 0.6125 }, TrainingTimings.Zero);

        var html = result.ToDisplayString("text/html");

        Assert.StartsWith("<table", html);
        Assert.Contains(">recall_at_1</td>", html);
        Assert.Contains(">0.6125</td>", html);
        Assert.Contains(">epochs completed</td>", html);
        Assert.Equal("text/html", Formatter.GetPreferredMimeTypesFor(typeof(TrainingResult)).First());
    }

    [Fact]
    public void Experiment_tables_render_as_html_tables_with_mean_and_sd()
    {
        NotebookFormatters.Register();
        var table1 = ExperimentRegistry.Get("table1");
        var metricColumns = table1.Metrics.SelectMany(m => new DataFrameColumn[]
        {
            new DoubleDataFrameColumn(ExperimentTable.MeanColumn(m), [61.24, 58.0]),
            new DoubleDataFrameColumn(ExperimentTable.SdColumn(m), [1.5, null]),
        });
        var frame = new DataFrame(new DataFrameColumn[]
        {
            new StringDataFrameColumn("dataset", ["glyphs-tiny", "glyphs-tiny"]),
            new StringDataFrameColumn("variant", ["PA (s^p only)", "PA + s^g"]),
            new Int32DataFrameColumn("seeds", [2, 1]),
        }.Concat(metricColumns));
        var table = new ExperimentTable(table1, Profiles.Smoke, frame, null, "table.csv");

        var html = System.Net.WebUtility.HtmlDecode(table.ToDisplayString("text/html"));

        Assert.StartsWith("<table", html);
        Assert.Contains(">R@1 (%)</th>", html);
        Assert.Contains(">61.2 ± 1.5</td>", html);
        Assert.Contains(">58.0</td>", html);
        Assert.Contains(">PA + s^g</td>", html);
        Assert.Contains("2 rows × 7 columns", table.ToDisplayString("text/plain"));
    }

    [Fact]
    public void Png_images_are_displayed_as_base64_png()
    {
        NotebookFormatters.Register();
        var img = new PngImage([1, 2, 3]);
        Assert.Equal("AQID", img.ToDisplayString("image/png"));
        Assert.Equal(new[] { "image/png" }, Formatter.GetPreferredMimeTypesFor(typeof(PngImage)));
    }
}

/// <summary>Stands in for a kit result type (e.g. a run summary) that knows its table.</summary>
public sealed class SampleResult
{
    /// <summary>The table.</summary>
    public DataFrame ToDataFrame() => new(new StringDataFrameColumn("method", ["CP"]), new DoubleDataFrameColumn("R@1", [0.7]));
}
