using System.Text.RegularExpressions;
using Plotly.NET;

namespace ResearchKit.Notebooks.Export;

/// <summary>The plotly.js bundle Plotly.NET embeds as a manifest resource (spec §3.2), for offline HTML and exports.</summary>
public static partial class PlotlyJs
{
    private static readonly Lazy<(string Name, string Source)> Bundle = new(() =>
    {
        var asm = typeof(GenericChart).Assembly;
        var name = asm.GetManifestResourceNames().Single(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));
        using var reader = new StreamReader(asm.GetManifestResourceStream(name)!);
        return (name, reader.ReadToEnd());
    });

    /// <summary>The minified plotly.js source.</summary>
    public static string Source => Bundle.Value.Source;

    /// <summary>The plotly.js version (e.g. 2.28.0).</summary>
    public static string Version => VersionPattern().Match(Bundle.Value.Name).Groups[1].Value;

    [GeneratedRegex(@"plotly-(.+)\.min\.js$")]
    private static partial Regex VersionPattern();
}
