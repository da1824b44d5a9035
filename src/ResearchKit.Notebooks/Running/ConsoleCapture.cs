using System.Text;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// Routes <see cref="Console.Out"/> and <see cref="Console.Error"/> to the outputs of the cell running in the current async
/// flow, and to the original writers everywhere else, so captured cells never swallow other threads' console output.
/// </summary>
internal static class ConsoleCapture
{
    private static readonly AsyncLocal<CellOutputs?> Current = new();
    private static readonly object Gate = new();
    private static bool _installed;

    /// <summary>Routes console writes of this async flow into <paramref name="outputs"/> until the returned scope is disposed.</summary>
    public static IDisposable Begin(CellOutputs outputs)
    {
        Install();
        var previous = Current.Value;
        Current.Value = outputs;
        return new Scope(previous);
    }

    private static void Install()
    {
        lock (Gate)
        {
            if (_installed) return;
            Console.SetOut(new RoutingWriter(Console.Out, "stdout"));
            Console.SetError(new RoutingWriter(Console.Error, "stderr"));
            _installed = true;
        }
    }

    private sealed class Scope(CellOutputs? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }

    private sealed class RoutingWriter(TextWriter fallback, string stream) : TextWriter
    {
        public override Encoding Encoding => fallback.Encoding;

        public override void Write(char value)
        {
            if (Current.Value is { } o) o.AppendStream(stream, value.ToString());
            else fallback.Write(value);
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            if (Current.Value is { } o) o.AppendStream(stream, value);
            else fallback.Write(value);
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        // Notebooks use \n line ends whatever the platform, as the Polyglot fixture's text fields do on Linux.
        public override void WriteLine(string? value) => Write((value ?? "") + "\n");

        public override void WriteLine() => Write("\n");

        public override void Flush()
        {
            if (Current.Value is null) fallback.Flush();
        }
    }
}
