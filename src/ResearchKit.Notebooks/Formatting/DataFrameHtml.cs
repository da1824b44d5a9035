using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace ResearchKit.Notebooks.Formatting;

/// <summary>
/// A compact HTML table for a <see cref="DataFrame"/> (the package's own interactive formatter only loads with
/// <c>#r "nuget:..."</c>, spec §4): header, right-aligned numbers with up to four decimals, the first rows and a
/// "… N more rows" line, and the shape.
/// </summary>
public static class DataFrameHtml
{
    /// <summary>Renders at most <paramref name="maxRows"/> rows.</summary>
    public static string Render(DataFrame df, int maxRows = 25)
    {
        ArgumentNullException.ThrowIfNull(df);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        var sb = new StringBuilder();
        sb.Append("<table class=\"researchkit-dataframe\" style=\"border-collapse:collapse;font-family:DejaVu Sans,Arial,sans-serif;font-size:13px\">");
        sb.Append("<thead><tr>");
        foreach (var col in df.Columns)
            sb.Append("<th style=\"text-align:").Append(IsNumeric(col) ? "right" : "left")
              .Append(";padding:2px 10px;border-bottom:1px solid #444\">").Append(WebUtility.HtmlEncode(col.Name)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        long shown = Math.Min(df.Rows.Count, maxRows);
        for (long r = 0; r < shown; r++)
        {
            sb.Append("<tr>");
            foreach (var col in df.Columns)
                sb.Append("<td style=\"text-align:").Append(IsNumeric(col) ? "right" : "left").Append(";padding:2px 10px\">")
                  .Append(WebUtility.HtmlEncode(FormatCell(col[r]))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (df.Rows.Count > shown) sb.Append("<div style=\"font-size:12px;color:#666\">… ").Append(df.Rows.Count - shown).Append(" more rows</div>");
        sb.Append("<div style=\"font-size:12px;color:#666\">").Append(df.Rows.Count).Append(" rows × ").Append(df.Columns.Count).Append(" columns</div>");
        return sb.ToString();
    }

    /// <summary>Fixed-width text of the same table, for <c>text/plain</c>.</summary>
    public static string RenderText(DataFrame df, int maxRows = 25)
    {
        ArgumentNullException.ThrowIfNull(df);
        long shown = Math.Min(df.Rows.Count, maxRows);
        var cells = new List<string[]> { df.Columns.Select(c => c.Name).ToArray() };
        for (long r = 0; r < shown; r++) cells.Add(df.Columns.Select(c => FormatCell(c[r])).ToArray());
        var widths = Enumerable.Range(0, df.Columns.Count).Select(j => cells.Max(row => row[j].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in cells)
        {
            for (int j = 0; j < row.Length; j++)
                sb.Append(j == 0 ? "" : "  ").Append(IsNumeric(df.Columns[j]) ? row[j].PadLeft(widths[j]) : row[j].PadRight(widths[j]));
            sb.Append('\n');
        }
        if (df.Rows.Count > shown) sb.Append("… ").Append(df.Rows.Count - shown).Append(" more rows\n");
        sb.Append(df.Rows.Count).Append(" rows × ").Append(df.Columns.Count).Append(" columns");
        return sb.ToString();
    }

    private static bool IsNumeric(DataFrameColumn c) =>
        c.DataType == typeof(double) || c.DataType == typeof(float) || c.DataType == typeof(int) || c.DataType == typeof(long)
        || c.DataType == typeof(decimal) || c.DataType == typeof(short);

    private static string FormatCell(object? v) => v switch
    {
        null => "",
        double d => d.ToString("0.####", CultureInfo.InvariantCulture),
        float f => f.ToString("0.####", CultureInfo.InvariantCulture),
        decimal m => m.ToString("0.####", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
