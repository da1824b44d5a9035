using System.Text;
using ResearchKit.Notebooks.Export;

namespace ResearchKit.Notebooks.Interactive;

/// <summary>
/// plotly.js for a notebook, delivered once: the kit's set-up cell displays <see cref="ScriptHtml"/> (the bundle Plotly.NET
/// embeds, about 3.6 MB, defining <c>window.Plotly</c>), and every chart output is a small fragment that draws with it
/// (<see cref="ChartHtml.ToNotebookFragment"/>). Nothing is fetched from a network: VS Code, Jupyter and GitHub render a
/// notebook's outputs in one page, in order, so the set-up output defines plotly.js before any chart draws.
/// </summary>
public static class PlotlyJsDelivery
{
    /// <summary>The element id of the delivered script, which tests and readers can look for.</summary>
    public const string ScriptId = "researchkit-plotlyjs";

    /// <summary>
    /// An HTML output that defines plotly.js unless the page already has it (a notebook re-run in the same page keeps the
    /// first), with a visible one-line note so the output is not an empty box.
    /// </summary>
    public static string ScriptHtml()
    {
        var sb = new StringBuilder(PlotlyJs.Source.Length + 512);
        sb.Append("<div class=\"researchkit-plotlyjs\" style=\"font-size:smaller;color:#666\">ResearchKit: plotly.js ")
          .Append(PlotlyJs.Version).Append(" loaded offline for this notebook's charts.</div>\n");
        sb.Append("<script type=\"text/javascript\" id=\"").Append(ScriptId).Append("\">\nif (typeof window.Plotly === 'undefined') {\n");
        sb.Append(PlotlyJs.Source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase));
        sb.Append("\n}\n</script>");
        return sb.ToString();
    }
}
