using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Tests;

/// <summary>Reads an executed .ipynb (dotnet-repl's or the runner's) the way a reader's frontend does: cells, outputs, HTML.</summary>
internal static class ExecutedNotebook
{
    public static JsonArray Cells(string path) => JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray();

    public static IEnumerable<JsonObject> Outputs(JsonNode cell) => (cell["outputs"]?.AsArray() ?? []).Select(o => o!.AsObject());

    /// <summary>The output types of each cell, in order.</summary>
    public static List<List<string>> OutputTypes(string path) =>
        Cells(path).Select(c => Outputs(c!).Select(o => o["output_type"]!.GetValue<string>()).ToList()).ToList();

    /// <summary>An output's text for one MIME type (Jupyter stores it as a string or an array of lines), or null.</summary>
    public static string? Data(JsonObject output, string mime) => output["data"]?[mime] switch
    {
        null => null,
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        var v => v.GetValue<string>(),
    };

    /// <summary>Every <c>text/html</c> output, in notebook order, with its 1-based cell number.</summary>
    public static List<(int Cell, string Html)> Html(string path) =>
        Cells(path).SelectMany((c, i) => Outputs(c!).Select(o => (Cell: i + 1, Html: Data(o, "text/html")))).Where(x => x.Html is not null)
            .Select(x => (x.Cell, x.Html!)).ToList();

    /// <summary>The <c>error</c> outputs as "cell N: ename: evalue".</summary>
    public static List<string> Errors(string path) =>
        Cells(path).SelectMany((c, i) => Outputs(c!).Where(o => o["output_type"]!.GetValue<string>() == "error")
            .Select(o => $"cell {i + 1}: {o["ename"]}: {o["evalue"]}")).ToList();
}
