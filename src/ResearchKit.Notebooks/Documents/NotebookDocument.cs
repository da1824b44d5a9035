using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Documents;

/// <summary>An <c>.ipynb</c> document: the JSON plus cell views. Cells keep their ids and metadata untouched.</summary>
public sealed class NotebookDocument
{
    private NotebookDocument(JsonObject json, string? path)
    {
        Json = json;
        Path = path;
    }

    /// <summary>The whole document.</summary>
    public JsonObject Json { get; }

    /// <summary>Where it was loaded from, if anywhere.</summary>
    public string? Path { get; }

    /// <summary>The file name, for messages.</summary>
    public string Name => Path is null ? "notebook" : System.IO.Path.GetFileName(Path);

    /// <summary>The kernel of code cells that name none (<c>metadata.polyglot_notebook.kernelInfo.defaultKernelName</c>, else from <c>kernelspec</c>).</summary>
    public string DefaultKernel
    {
        get
        {
            var meta = Json["metadata"];
            var name = meta?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>();
            if (name is not null) return KernelNames.Normalize(name) ?? name;
            var spec = meta?["kernelspec"]?["name"]?.GetValue<string>();
            if (spec is not null && spec.StartsWith(".net-", StringComparison.Ordinal)) return KernelNames.Normalize(spec[5..]) ?? spec[5..];
            return KernelNames.CSharp;
        }
    }

    /// <summary>The cells, numbered from 1 in document order.</summary>
    public IReadOnlyList<NotebookCell> Cells
    {
        get
        {
            var arr = (JsonArray)Json["cells"]!;
            var kernel = DefaultKernel;
            return arr.Select((c, i) => new NotebookCell(c as JsonObject
                ?? throw new ArgumentException($"{Name}: cell {i + 1} is not a JSON object."), i + 1, kernel)).ToList();
        }
    }

    /// <summary>Loads a notebook file.</summary>
    public static NotebookDocument Load(string path) => new(NotebookJson.Load(path), System.IO.Path.GetFullPath(path));

    /// <summary>Parses notebook JSON.</summary>
    public static NotebookDocument Parse(string json, string? path = null) => new(NotebookJson.Parse(json, path), path);

    /// <summary>A deep copy (e.g. to fill with outputs without touching the original).</summary>
    public NotebookDocument Clone() => new((JsonObject)Json.DeepClone(), Path);

    /// <summary>Serializes in the canonical layout (<see cref="NotebookJson"/>).</summary>
    public string ToJson() => NotebookJson.Serialize(Json);

    /// <summary>Writes the document in the canonical layout.</summary>
    public void Save(string path) => NotebookJson.Save(Json, path);

    /// <summary>
    /// Creates a new C# notebook in the Polyglot layout (document metadata of §2.2) from cells given as (kind, source) pairs;
    /// kind is <c>markdown</c> or <c>csharp</c>. Code cells get ids <c>cell-N</c> and the tags given.
    /// </summary>
    public static NotebookDocument Create(IEnumerable<NewCell> cells)
    {
        var arr = new JsonArray();
        int n = 0;
        foreach (var c in cells)
        {
            n++;
            var cell = c.Kind == "markdown"
                ? new JsonObject { ["cell_type"] = "markdown", ["id"] = c.Id ?? $"md-{n}", ["metadata"] = new JsonObject(), ["source"] = NotebookJson.ToLines(c.Source) }
                : NotebookCells.NewCode(c.Source, c.Id ?? $"cell-{n}", c.Tags);
            arr.Add(cell);
        }
        var json = new JsonObject
        {
            ["cells"] = arr,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["language_info"] = new JsonObject { ["name"] = "C#" },
                ["polyglot_notebook"] = new JsonObject
                {
                    ["kernelInfo"] = new JsonObject
                    {
                        ["defaultKernelName"] = "csharp",
                        ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
                    },
                },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        return new NotebookDocument(json, null);
    }
}

/// <summary>A cell for <see cref="NotebookDocument.Create"/>.</summary>
/// <param name="Kind"><c>markdown</c> or <c>csharp</c>.</param>
/// <param name="Source">The cell text.</param>
/// <param name="Tags">Cell tags, e.g. <c>parameters</c>.</param>
/// <param name="Id">The cell id; generated when null.</param>
public sealed record NewCell(string Kind, string Source, string[]? Tags = null, string? Id = null)
{
    /// <summary>A C# code cell.</summary>
    public static NewCell Code(string source, params string[] tags) => new("csharp", source, tags.Length == 0 ? null : tags);

    /// <summary>A markdown cell.</summary>
    public static NewCell Markdown(string source) => new("markdown", source);
}

/// <summary>Builders for cell JSON in the Polyglot layout.</summary>
internal static class NotebookCells
{
    public static JsonObject NewCode(string source, string id, IEnumerable<string>? tags)
    {
        var meta = new JsonObject
        {
            ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
            ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
            ["vscode"] = new JsonObject { ["languageId"] = "polyglot-notebook" },
        };
        if (tags is not null && tags.Any()) meta["tags"] = new JsonArray(tags.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
        return new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["id"] = id,
            ["metadata"] = meta,
            ["outputs"] = new JsonArray(),
            ["source"] = NotebookJson.ToLines(source),
        };
    }
}
