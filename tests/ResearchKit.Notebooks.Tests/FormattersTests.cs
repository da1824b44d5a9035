using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using ResearchKit.Notebooks.Formatting;

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
