using System.Globalization;

namespace ResearchKit.Data;

/// <summary>Reads the small text lists of the real data sets, with errors that name the file and line.</summary>
internal static class ListFile
{
    /// <summary>Non-empty lines split on <paramref name="separators"/>, with their 1-based line numbers.</summary>
    public static IEnumerable<(int Line, string[] Fields)> Rows(string path, char[] separators, bool skipHeader = false, int minFields = 2)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"list file not found: '{path}'", path);
        int n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            if (skipHeader && n == 1) continue;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length < minFields)
                throw new InvalidDataException($"{path}:{n}: expected at least {minFields} fields, got '{raw}'.");
            yield return (n, fields);
        }
    }

    /// <summary>Parses an integer field, naming file and line on failure.</summary>
    public static int Int(string field, string path, int line) =>
        int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new InvalidDataException($"{path}:{line}: expected an integer, got '{field}'.");

    public static readonly char[] Whitespace = [' ', '\t'];
    public static readonly char[] Comma = [','];
}
