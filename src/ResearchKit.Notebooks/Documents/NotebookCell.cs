using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Documents;

/// <summary>A view of one cell of an <c>.ipynb</c> document; edits go straight to the underlying JSON.</summary>
public sealed class NotebookCell
{
    internal NotebookCell(JsonObject json, int number, string defaultKernel)
    {
        Json = json;
        Number = number;
        DefaultKernel = defaultKernel;
    }

    /// <summary>The cell's JSON object inside the document.</summary>
    public JsonObject Json { get; }

    /// <summary>1-based position of the cell in the notebook as committed (markdown cells count).</summary>
    public int Number { get; }

    private string DefaultKernel { get; }

    /// <summary><c>code</c>, <c>markdown</c> or <c>raw</c>.</summary>
    public string CellType => Json["cell_type"]?.GetValue<string>() ?? "code";

    /// <summary>True for code cells.</summary>
    public bool IsCode => CellType == "code";

    /// <summary>The cell id, when the notebook has one (nbformat 4.5).</summary>
    public string? Id => Json["id"]?.GetValue<string>();

    /// <summary>The cell's source text.</summary>
    public string Source => NotebookJson.JoinLines(Json["source"]);

    /// <summary>The cell's <c>metadata.tags</c>.</summary>
    public IReadOnlyList<string> Tags =>
        (Json["metadata"]?["tags"] as JsonArray)?.Select(t => t?.GetValue<string>() ?? "").ToArray() ?? [];

    /// <summary>
    /// The kernel that runs the cell, with the Polyglot precedence: a leading <c>#!kernel</c> line, then
    /// <c>metadata.polyglot_notebook.kernelName</c>, then <c>metadata.dotnet_interactive.language</c>, then the document default.
    /// </summary>
    public string Kernel
    {
        get
        {
            if (!IsCode) return CellType;
            var first = Source.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim();
            if (first is not null && first.StartsWith("#!", StringComparison.Ordinal))
            {
                var name = KernelNames.Normalize(first[2..].Trim());
                if (name is not null) return name;
            }
            var meta = Json["metadata"];
            var kernel = meta?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                         ?? meta?["dotnet_interactive"]?["language"]?.GetValue<string>()
                         ?? DefaultKernel;
            return KernelNames.Normalize(kernel) ?? kernel;
        }
    }
}

/// <summary>Kernel names and aliases as Polyglot Notebooks spells them.</summary>
internal static class KernelNames
{
    public const string CSharp = "csharp";

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["csharp"] = CSharp, ["c#"] = CSharp, ["cs"] = CSharp,
        ["fsharp"] = "fsharp", ["f#"] = "fsharp", ["fs"] = "fsharp",
        ["pwsh"] = "pwsh", ["powershell"] = "pwsh",
        ["javascript"] = "javascript", ["js"] = "javascript",
        ["markdown"] = "markdown", ["md"] = "markdown",
        ["html"] = "html", ["sql"] = "sql", ["kql"] = "kql", ["mermaid"] = "mermaid", ["value"] = "value", ["http"] = "http",
    };

    /// <summary>The canonical kernel name for a name or alias, or null when it is not a kernel (e.g. a magic command).</summary>
    public static string? Normalize(string name) => Aliases.TryGetValue(name, out var k) ? k : null;
}
