using System.Text;
using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// The outputs one cell produces, in order, shaped like Polyglot's (spec §2.2): <c>stream</c> (stdout/stderr, consecutive
/// writes merged), <c>display_data</c> (also for return values, as VS Code writes them) and <c>error</c>. Thread-safe.
/// </summary>
internal sealed class CellOutputs
{
    private readonly object _gate = new();
    private readonly List<JsonObject> _outputs = [];
    private readonly Dictionary<JsonObject, StringBuilder> _streamText = [];

    public void AppendStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (_gate)
        {
            var last = _outputs.Count > 0 ? _outputs[^1] : null;
            if (last is null || last["output_type"]?.GetValue<string>() != "stream" || last["name"]?.GetValue<string>() != name)
            {
                last = new JsonObject { ["name"] = name, ["output_type"] = "stream", ["text"] = new JsonArray() };
                _outputs.Add(last);
                _streamText[last] = new StringBuilder();
            }
            _streamText[last].Append(text);
        }
    }

    /// <summary>Adds a display output; returns its slot for later updates.</summary>
    public int AddDisplay(JsonObject data)
    {
        lock (_gate)
        {
            _outputs.Add(DisplayOutput(data));
            return _outputs.Count - 1;
        }
    }

    public void UpdateDisplay(int slot, JsonObject data)
    {
        lock (_gate) _outputs[slot] = DisplayOutput(data);
    }

    public void AddError(string name, string value, string traceback)
    {
        lock (_gate)
        {
            var lines = traceback.Replace("\r\n", "\n").Split('\n');
            _outputs.Add(new JsonObject
            {
                ["ename"] = name,
                ["evalue"] = value,
                ["output_type"] = "error",
                ["traceback"] = new JsonArray(lines.Select((l, i) => (JsonNode)JsonValue.Create(i < lines.Length - 1 ? l + "\n" : l)!).ToArray()),
            });
        }
    }

    /// <summary>The outputs as a JSON array (stream text split into lines).</summary>
    public JsonArray ToJson()
    {
        lock (_gate)
        {
            var arr = new JsonArray();
            foreach (var o in _outputs)
            {
                var copy = (JsonObject)o.DeepClone();
                if (_streamText.TryGetValue(o, out var sb)) copy["text"] = NotebookJson.ToLines(sb.ToString());
                arr.Add(copy);
            }
            return arr;
        }
    }

    /// <summary>All text of the given stream, for tests and logs.</summary>
    public string StreamText(string name)
    {
        lock (_gate)
            return string.Concat(_outputs.Where(o => o["name"]?.GetValue<string>() == name && _streamText.ContainsKey(o)).Select(o => _streamText[o].ToString()));
    }

    private static JsonObject DisplayOutput(JsonObject data) =>
        new() { ["data"] = data, ["metadata"] = new JsonObject(), ["output_type"] = "display_data" };
}
