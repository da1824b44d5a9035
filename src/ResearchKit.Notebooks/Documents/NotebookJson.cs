using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Documents;

/// <summary>
/// Reads and writes <c>.ipynb</c> JSON in the layout VS Code and Jupyter write: keys sorted ordinally at every level,
/// 1-space indentation, <c>JSON.stringify</c> escaping (only quotes, backslashes and control characters), a trailing newline.
/// Writing a file in this layout is byte-stable, so stripping a clean notebook changes nothing.
/// </summary>
public static class NotebookJson
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Parses notebook JSON text into a mutable JSON object.</summary>
    /// <exception cref="ArgumentException">The text is not a JSON object with a <c>cells</c> array.</exception>
    public static JsonObject Parse(string json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{sourceName ?? "notebook"} is not valid JSON: {e.Message}", nameof(json), e);
        }
        if (node is not JsonObject obj || obj["cells"] is not JsonArray)
            throw new ArgumentException($"{sourceName ?? "notebook"} is not an .ipynb document (expected a JSON object with a \"cells\" array).", nameof(json));
        return obj;
    }

    /// <summary>Reads and parses a notebook file.</summary>
    public static JsonObject Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Notebook not found: {path}", path);
        return Parse(File.ReadAllText(path, Encoding.UTF8), Path.GetFileName(path));
    }

    /// <summary>Writes <paramref name="notebook"/> to <paramref name="path"/> as UTF-8 without BOM in the canonical layout.</summary>
    public static void Save(JsonObject notebook, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Serialize(notebook), Utf8NoBom);
    }

    /// <summary>Serializes any JSON node in the canonical layout, with a trailing newline.</summary>
    public static string Serialize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node, 0);
        sb.Append('\n');
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj when obj.Count == 0:
                sb.Append("{}");
                break;
            case JsonObject obj:
                sb.Append("{\n");
                var keys = obj.Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
                for (int i = 0; i < keys.Count; i++)
                {
                    Indent(sb, depth + 1);
                    AppendString(sb, keys[i]);
                    sb.Append(": ");
                    Write(sb, obj[keys[i]], depth + 1);
                    if (i < keys.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, depth);
                sb.Append('}');
                break;
            case JsonArray arr when arr.Count == 0:
                sb.Append("[]");
                break;
            case JsonArray arr:
                sb.Append("[\n");
                for (int i = 0; i < arr.Count; i++)
                {
                    Indent(sb, depth + 1);
                    Write(sb, arr[i], depth + 1);
                    if (i < arr.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, depth);
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                AppendString(sb, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Null:
                sb.Append("null");
                break;
            case JsonValueKind.Number:
                // A parsed number keeps its original token; a number built in code is written invariantly.
                if (value.TryGetValue<JsonElement>(out var element)) sb.Append(element.GetRawText());
                else if (value.TryGetValue<double>(out var d) && !value.TryGetValue<long>(out _)) sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                else sb.Append(value.ToJsonString());
                break;
            default:
                sb.Append(value.ToJsonString());
                break;
        }
    }

    private static void Indent(StringBuilder sb, int depth) => sb.Append(' ', depth);

    /// <summary>Quotes a string the way JavaScript's JSON.stringify does (non-ASCII stays literal).</summary>
    private static void AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[i + 1]); i++; }
                    else if (char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Splits text into notebook source lines: every line but the last keeps its <c>\n</c>; empty text gives no lines.</summary>
    public static JsonArray ToLines(string text)
    {
        var arr = new JsonArray();
        if (string.IsNullOrEmpty(text)) return arr;
        var parts = text.Split('\n');
        for (int i = 0; i < parts.Length; i++)
        {
            var line = i < parts.Length - 1 ? parts[i] + "\n" : parts[i];
            if (line.Length > 0) arr.Add(line);
        }
        return arr;
    }

    /// <summary>Joins a notebook multiline field (an array of lines or one string) into text.</summary>
    public static string JoinLines(JsonNode? node) => node switch
    {
        null => "",
        JsonArray arr => string.Concat(arr.Select(n => n?.GetValue<string>() ?? "")),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new ArgumentException($"expected a string or an array of strings, got {node.ToJsonString()}", nameof(node)),
    };
}
