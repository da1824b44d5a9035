using System.Collections.Concurrent;

namespace ResearchKit.Data;

/// <summary>One image that cannot be used, and why.</summary>
/// <param name="Image">The image (a path for files).</param>
/// <param name="Problem">What is wrong with it.</param>
public sealed record BadImage(string Image, string Problem)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Image}: {Problem}";
}

/// <summary>
/// Checks a split's images before training, reporting every bad image together instead of failing on the first one
/// mid-epoch: <see cref="Quick"/> (existence, size, a known image header: milliseconds per thousand files, done at load)
/// and <see cref="Decode"/> (decodes every image once: <c>researchkit data verify</c>).
/// </summary>
public static class ImageCheck
{
    private static readonly byte[][] Headers =
    [
        [0xFF, 0xD8, 0xFF],                                   // JPEG
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],     // PNG
        "GIF8"u8.ToArray(), "BM"u8.ToArray(), "RIFF"u8.ToArray(),
    ];

    /// <summary>The file-backed images of <paramref name="sources"/> that are missing, empty or not an image by their header.</summary>
    public static IReadOnlyList<BadImage> Quick(IEnumerable<ImageSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var bad = new List<BadImage>();
        Span<byte> head = stackalloc byte[8];
        foreach (var path in sources.OfType<FileImageSource>().Select(f => f.Path).Distinct())
        {
            var info = new FileInfo(path);
            if (!info.Exists) { bad.Add(new(path, "missing")); continue; }
            if (info.Length == 0) { bad.Add(new(path, "empty (0 bytes)")); continue; }
            using var fs = info.OpenRead();
            int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            var bytes = head[..n];
            bool known = false;
            foreach (var h in Headers) known |= bytes.StartsWith(h);
            if (!known) bad.Add(new(path, $"not a JPEG/PNG/GIF/BMP/WebP file (starts with {Convert.ToHexString(bytes)})"));
        }
        return bad;
    }

    /// <summary>Decodes every image once (in parallel) and returns those that fail, with the decoder's message.</summary>
    /// <param name="sources">The images.</param>
    /// <param name="grayscale">Decode as grey (as training will).</param>
    /// <param name="workers">Parallel decoders (0 = processor count).</param>
    /// <param name="progress">Receives the number of images decoded so far, now and then.</param>
    public static IReadOnlyList<BadImage> Decode(IReadOnlyList<ImageSource> sources, bool grayscale, int workers = 0, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var bad = new ConcurrentBag<(int Index, BadImage Image)>();
        int done = 0;
        Parallel.For(0, sources.Count, new ParallelOptions { MaxDegreeOfParallelism = workers > 0 ? workers : Environment.ProcessorCount }, i =>
        {
            try
            {
                using var bmp = sources[i].Open(grayscale);
                if (bmp is null || bmp.Width == 0 || bmp.Height == 0) bad.Add((i, new(sources[i].Describe(), "decodes to no pixels")));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                bad.Add((i, new(sources[i].Describe(), e.Message)));
            }
            int n = Interlocked.Increment(ref done);
            if (n % 500 == 0) progress?.Invoke(n);
        });
        return bad.OrderBy(b => b.Index).Select(b => b.Image).ToList();
    }

    /// <summary>"3 bad images in cub train: a.jpg: empty (0 bytes); …" listing up to <paramref name="max"/> of them.</summary>
    public static string Describe(IReadOnlyList<BadImage> bad, string where, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(bad);
        var shown = string.Join("; ", bad.Take(max));
        return $"{bad.Count} bad image{(bad.Count == 1 ? "" : "s")} in {where}: {shown}{(bad.Count > max ? $"; and {bad.Count - max} more" : "")}";
    }
}
