using System.Security.Cryptography;
using SkiaSharp;

namespace ResearchKit.Data;

/// <summary>One font face: a file (and face index in a collection), its family and style, and the file's SHA-256.</summary>
/// <param name="Path">Font file path.</param>
/// <param name="FaceIndex">Face index inside the file (0 for .ttf/.otf).</param>
/// <param name="Family">Family name as the font reports it.</param>
/// <param name="Style">Weight/width/slant, e.g. "700/5/Upright".</param>
/// <param name="Sha256">Hex SHA-256 of the font file (the manifest records it so a font update changes the hash).</param>
public sealed record FontFace(string Path, int FaceIndex, string Family, string Style, string Sha256)
{
    /// <summary>Loads the typeface (caller disposes).</summary>
    public SKTypeface Load() => SKTypeface.FromFile(Path, FaceIndex)
        ?? throw new InvalidDataException($"cannot load font face {FaceIndex} of '{Path}'.");

    /// <inheritdoc />
    public override string ToString() => $"{Family} {Style} ({System.IO.Path.GetFileName(Path)})";
}

/// <summary>
/// Finds the allowlisted font faces: the DejaVu text faces (always on the machine; glyphs-tiny) or the faces of a
/// list of Debian font packages (the curated 126-package list; glyphs), read from dpkg's file lists. Faces are
/// deduplicated by family+style and ordered by path, so the same installed fonts give the same catalog.
/// </summary>
public static class FontCatalog
{
    /// <summary>Where Debian installs the DejaVu fonts.</summary>
    public const string DejaVuDirectory = "/usr/share/fonts/truetype/dejavu";

    /// <summary>Where dpkg keeps each installed package's file list (<c>&lt;package&gt;.list</c>).</summary>
    public const string DpkgInfoDirectory = "/var/lib/dpkg/info";

    /// <summary>The curated Latin font-package list of spec/data.md §2.2 (126 packages).</summary>
    public static IReadOnlyList<string> CuratedPackages { get; } = ReadCuratedList();

    /// <summary>The DejaVu text faces found in <paramref name="directory"/> (the math face is not a text face).</summary>
    public static IReadOnlyList<FontFace> DejaVu(string directory = DejaVuDirectory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"DejaVu fonts not found in '{directory}': apt-get install fonts-dejavu-core fonts-dejavu-extra.");
        var files = Directory.GetFiles(directory, "*.ttf").Where(f => !System.IO.Path.GetFileName(f).Contains("Math", StringComparison.Ordinal));
        return Faces(files);
    }

    /// <summary>
    /// The faces of the installed packages among <paramref name="packages"/>, read from
    /// <c>/var/lib/dpkg/info/&lt;package&gt;.list</c>; packages that are not installed are returned in <paramref name="missing"/>.
    /// </summary>
    public static IReadOnlyList<FontFace> FromDebianPackages(IEnumerable<string> packages, out IReadOnlyList<string> missing, string dpkgInfo = DpkgInfoDirectory)
    {
        var files = new List<string>();
        var notInstalled = new List<string>();
        foreach (var pkg in packages)
        {
            var list = new[] { System.IO.Path.Combine(dpkgInfo, pkg + ".list"), System.IO.Path.Combine(dpkgInfo, pkg + ":amd64.list") }.FirstOrDefault(File.Exists);
            if (list is null) { notInstalled.Add(pkg); continue; }
            files.AddRange(File.ReadLines(list).Where(IsFontFile).Where(File.Exists));
        }
        missing = notInstalled;
        return Faces(files);
    }

    /// <summary>Reads the faces of the given font files (.ttf/.otf/.ttc), dedupes by family+style, orders by path.</summary>
    public static IReadOnlyList<FontFace> Faces(IEnumerable<string> fontFiles)
    {
        var faces = new List<FontFace>();
        var seen = new HashSet<(string, string)>();
        foreach (var path in fontFiles.Select(System.IO.Path.GetFullPath).Distinct().Order(StringComparer.Ordinal))
        {
            string? sha = null;
            for (int index = 0; index < 64; index++)
            {
                using var tf = SKTypeface.FromFile(path, index);
                if (tf is null) break;
                var style = $"{tf.FontWeight}/{tf.FontWidth}/{tf.FontSlant}";
                if (seen.Add((tf.FamilyName, style)))
                    faces.Add(new FontFace(path, index, tf.FamilyName, style, sha ??= Sha256(path)));
                if (!path.EndsWith(".ttc", StringComparison.OrdinalIgnoreCase)) break;
            }
        }
        return faces;
    }

    private static bool IsFontFile(string path) =>
        path.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".otf", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ttc", StringComparison.OrdinalIgnoreCase);

    private static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    private static IReadOnlyList<string> ReadCuratedList()
    {
        using var s = typeof(FontCatalog).Assembly.GetManifestResourceStream("ResearchKit.Data.curated-fonts.txt")
            ?? throw new InvalidOperationException("embedded curated-fonts.txt is missing");
        using var r = new StreamReader(s);
        return r.ReadToEnd().Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
    }
}
