using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Documents;

/// <summary>
/// Removes outputs and execution counts so committed notebooks stay small and diff-free (spec §2.4). Cell ids, sources and
/// metadata stay; volatile run metadata (papermill, execution timings) goes.
/// </summary>
public static class NotebookStripper
{
    private static readonly string[] VolatileCellMetadata = ["execution", "papermill", "dotnet_repl_cellExecutionStartTime", "dotnet_repl_cellExecutionEndTime"];

    /// <summary>Strips a document in place.</summary>
    public static void Strip(NotebookDocument notebook)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        foreach (var cell in notebook.Cells)
        {
            if (cell.IsCode)
            {
                cell.Json["outputs"] = new JsonArray();
                cell.Json["execution_count"] = null;
            }
            if (cell.Json["metadata"] is JsonObject meta)
                foreach (var key in VolatileCellMetadata) meta.Remove(key);
        }
        (notebook.Json["metadata"] as JsonObject)?.Remove("papermill");
    }

    /// <summary>The canonical stripped text of the notebook file at <paramref name="path"/>.</summary>
    public static string StrippedText(string path)
    {
        var doc = NotebookDocument.Load(path);
        Strip(doc);
        return doc.ToJson();
    }

    /// <summary>True when the file already equals its stripped canonical form byte for byte.</summary>
    public static bool IsClean(string path) => File.ReadAllText(path) == StrippedText(path);

    /// <summary>Strips the file in place; returns true when its bytes changed.</summary>
    public static bool StripFile(string path)
    {
        var stripped = StrippedText(path);
        if (File.ReadAllText(path) == stripped) return false;
        File.WriteAllText(path, stripped, new System.Text.UTF8Encoding(false));
        return true;
    }

    /// <summary>
    /// The notebooks a path names: the file itself, or every <c>*.ipynb</c> under a directory (recursively, sorted), skipping
    /// executed copies (<c>*.executed.ipynb</c>), checkpoints and <c>bin</c>/<c>obj</c>/<c>artifacts</c> folders.
    /// </summary>
    /// <exception cref="ArgumentException">The path is neither a notebook file nor a directory.</exception>
    public static IReadOnlyList<string> Expand(string path)
    {
        if (File.Exists(path))
        {
            if (!path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"'{path}' is not a notebook (expected an .ipynb file or a directory).", nameof(path));
            return [Path.GetFullPath(path)];
        }
        if (!Directory.Exists(path))
            throw new ArgumentException($"'{path}' does not exist (expected an .ipynb file or a directory).", nameof(path));
        string[] skip = [".ipynb_checkpoints", "bin", "obj", "artifacts"];
        return Directory.EnumerateFiles(path, "*.ipynb", SearchOption.AllDirectories)
            .Select(Path.GetFullPath)
            .Where(p => !p.EndsWith(".executed.ipynb", StringComparison.OrdinalIgnoreCase))
            .Where(p => !Path.GetRelativePath(Path.GetFullPath(path), p).Split(Path.DirectorySeparatorChar).Any(s => skip.Contains(s)))
            .OrderBy(p => p, StringComparer.Ordinal)
            .ToList();
    }
}
