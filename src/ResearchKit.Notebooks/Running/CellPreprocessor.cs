using System.Text.RegularExpressions;
using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Running;

/// <summary>A piece of a cell: C# to submit, or a file to import.</summary>
/// <param name="FirstLine">0-based line of the cell where the piece starts (keeps diagnostics' line numbers cell-relative).</param>
internal abstract record CellSegment(int FirstLine);

/// <summary>C# code submitted as one Roslyn submission.</summary>
internal sealed record CodeSegment(string Code, int FirstLine) : CellSegment(FirstLine);

/// <summary>An <c>#!import path</c> line.</summary>
internal sealed record ImportSegment(string Path, int FirstLine) : CellSegment(FirstLine);

/// <summary>
/// Handles the dotnet-interactive directives Roslyn does not know (spec §2.9 item 8): <c>#!import</c> splits the cell, a
/// <c>#!csharp</c> selector and <c>#!time</c> are blanked, other magics fail, and <c>#r "nuget:..."</c> is honoured only when
/// the host already has that assembly. Removed lines become blank lines so line numbers stay those of the cell.
/// </summary>
internal static partial class CellPreprocessor
{
    [GeneratedRegex("""^#r\s+"nuget:\s*([^,"\s]+)[^"]*"\s*$""")]
    private static partial Regex NugetReference();

    public static IReadOnlyList<CellSegment> Split(string source)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var segments = new List<CellSegment>();
        var current = new List<string>();
        int start = 0;

        void Flush(int nextStart)
        {
            if (current.Any(l => l.Trim().Length > 0)) segments.Add(new CodeSegment(string.Join("\n", current), start));
            current.Clear();
            start = nextStart;
        }

        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (t.StartsWith("#!", StringComparison.Ordinal))
            {
                var parts = t[2..].Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
                var word = parts.Length > 0 ? parts[0] : "";
                if (word == "import")
                {
                    var path = parts.Length > 1 ? parts[1].Trim().Trim('"') : "";
                    if (path.Length == 0) throw new CellFailure(CellErrorKind.Directive, "#!import needs a file path", i + 1);
                    Flush(i + 1);
                    segments.Add(new ImportSegment(path, i));
                    continue;
                }
                if (KernelNames.Normalize(word) == KernelNames.CSharp || word == "time")
                {
                    current.Add("");
                    continue;
                }
                throw new CellFailure(CellErrorKind.Directive,
                    $"unsupported magic command '{t}': the runner supports #!import, #!csharp and #!time", i + 1);
            }
            if (t.StartsWith("#r", StringComparison.Ordinal) && NugetReference().Match(t) is { Success: true } m)
            {
                var id = m.Groups[1].Value;
                if (!HostAssemblies.TryGetPath(id, out var path))
                    throw new CellFailure(CellErrorKind.Directive,
                        $"'{t}': the runner cannot restore NuGet packages; reference the kit's build output instead (#!import _setup.csx)", i + 1);
                current.Add($"#r \"{path}\"");
                continue;
            }
            if (t.StartsWith("#i ", StringComparison.Ordinal))
                throw new CellFailure(CellErrorKind.Directive, $"'{t}': package sources are not supported by the runner", i + 1);
            current.Add(lines[i]);
        }
        Flush(lines.Length);
        return segments;
    }
}
