using System.IO.Compression;
using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Tests;

/// <summary>Paths of the repository the tests run in.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ResearchKit.sln"))) return dir.FullName;
        throw new InvalidOperationException("ResearchKit.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Notebooks => Path.Combine(Root, "notebooks");

    /// <summary>The kit folder notebooks reference (notebooks/researchkit.dib): the ResearchKit.Notebooks build the tests depend on.</summary>
    public static string Kit => Path.Combine(Root, "src", "ResearchKit.Notebooks", "bin", "kit");

    /// <summary>A cell that references the kit's notebook API from <see cref="Kit"/>, as researchkit.dib does, with its usings.</summary>
    public static string KitReferenceCell =>
        $"#r \"{Path.Combine(Kit, "ResearchKit.Notebooks.dll")}\"\nusing static ResearchKit.Notebooks.Parameters.NotebookParameters;";
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rk-nb-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a notebook made of the given cells; returns its path.</summary>
    public string Notebook(string name, params NewCell[] cells)
    {
        var path = File(name);
        NotebookDocument.Create(cells).Save(path);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>A minimal PNG decoder (8-bit RGB/RGBA, non-interlaced: what Chromium writes) for checking exported images.</summary>
internal sealed class DecodedPng
{
    public int Width { get; private init; }
    public int Height { get; private init; }
    private byte[] Pixels { get; init; } = [];
    private int Channels { get; init; }

    public (byte R, byte G, byte B, byte A) this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * Channels;
            return (Pixels[i], Pixels[i + 1], Pixels[i + 2], Channels == 4 ? Pixels[i + 3] : (byte)255);
        }
    }

    /// <summary>Pixels visibly different from white (any channel below 235, alpha counted).</summary>
    public long CountNonWhite()
    {
        long n = 0;
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                var (r, g, b, a) = this[x, y];
                if (a > 20 && (r < 235 || g < 235 || b < 235)) n++;
            }
        return n;
    }

    public static DecodedPng Decode(byte[] png)
    {
        byte[] signature = [137, 80, 78, 71, 13, 10, 26, 10];
        if (!png.AsSpan(0, 8).SequenceEqual(signature)) throw new InvalidDataException("not a PNG");
        int pos = 8, width = 0, height = 0, colorType = 0;
        using var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int len = ReadInt(png, pos);
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (type == "IHDR")
            {
                width = ReadInt(png, pos + 8);
                height = ReadInt(png, pos + 12);
                if (png[pos + 16] != 8) throw new InvalidDataException("only 8-bit PNGs");
                colorType = png[pos + 17];
                if (png[pos + 20] != 0) throw new InvalidDataException("interlaced PNG");
            }
            else if (type == "IDAT") idat.Write(png, pos + 8, len);
            else if (type == "IEND") break;
            pos += 12 + len;
        }
        int channels = colorType switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"colour type {colorType}") };
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var data = raw.ToArray();
        int stride = width * channels;
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            int filter = data[y * (stride + 1)];
            for (int x = 0; x < stride; x++)
            {
                int v = data[y * (stride + 1) + 1 + x];
                int a = x >= channels ? pixels[y * stride + x - channels] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
                int c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
                pixels[y * stride + x] = (byte)(filter switch
                {
                    0 => v,
                    1 => v + a,
                    2 => v + b,
                    3 => v + (a + b) / 2,
                    4 => v + Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }
        }
        return new DecodedPng { Width = width, Height = height, Pixels = pixels, Channels = channels };
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static int ReadInt(byte[] b, int i) => (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
}

/// <summary>
/// Test classes that run notebooks. A run makes the notebook folder the process's current directory, so these classes
/// must not run beside each other: one would read the directory another run has set.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NotebookRuns
{
    /// <summary>The collection's name.</summary>
    public const string Name = "notebook runs";
}
