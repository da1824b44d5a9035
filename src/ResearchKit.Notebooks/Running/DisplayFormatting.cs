using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;
using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// Turns a displayed value into a notebook <c>data</c> bundle: one entry per MIME type, each produced by
/// <see cref="Formatter"/> (the loop of dotnet-interactive's <c>FormattedValue.CreateManyFromObject</c>, which the
/// Formatting package lacks).
/// </summary>
internal static class DisplayFormatting
{
    private static readonly HashSet<string> BinaryMimeTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
    };

    public static JsonObject Format(object? value, IReadOnlyList<string> mimeTypes)
    {
        var data = new JsonObject();
        if (value is null)
        {
            data["text/plain"] = NotebookJson.ToLines("<null>");
            return data;
        }
        IReadOnlyCollection<string> mimes = mimeTypes.Count > 0 ? mimeTypes : Formatter.GetPreferredMimeTypesFor(value.GetType());
        if (mimes.Count == 0) mimes = [Formatter.DefaultMimeType];
        foreach (var mime in mimes.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (BinaryMimeTypes.Contains(mime))
            {
                // Jupyter stores binary payloads as one base64 string.
                data[mime] = value is byte[] bytes ? Convert.ToBase64String(bytes) : Formatter.ToDisplayString(value, mime).Trim();
                continue;
            }
            var text = Formatter.ToDisplayString(value, mime);
            data[mime] = mime.EndsWith("json", StringComparison.OrdinalIgnoreCase) && TryParseJson(text) is { } node
                ? node
                : NotebookJson.ToLines(text);
        }
        return data;
    }

    private static JsonNode? TryParseJson(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { return null; }
    }
}
