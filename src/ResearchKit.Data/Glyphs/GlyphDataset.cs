using System.Security.Cryptography;
using System.Text;
using SkiaSharp;

namespace ResearchKit.Data;

/// <summary>A loaded glyph data set with its manifest and where it is cached.</summary>
/// <param name="Dataset">The zero-shot data set (original label = code point).</param>
/// <param name="Manifest">The manifest.</param>
/// <param name="ManifestSha256">Hex SHA-256 of the manifest bytes: the data set's identity.</param>
/// <param name="CacheDirectory">The cache folder.</param>
/// <param name="FromCache">True when it was read from the cache rather than rendered now.</param>
public sealed record GlyphDatasetResult(ZeroShotDataset Dataset, GlyphManifest Manifest, string ManifestSha256, string CacheDirectory, bool FromCache)
{
    /// <summary>
    /// Curated font packages that are not installed, so the data set was rendered without their faces (empty for the
    /// DejaVu set and for explicit faces). Its manifest hash then differs from a full installation's.
    /// </summary>
    public IReadOnlyList<string> MissingFontPackages { get; init; } = [];

    /// <summary>A one-line warning when <see cref="MissingFontPackages"/> is not empty, else null.</summary>
    public string? Warning => MissingFontPackages.Count == 0 ? null
        : $"warning: {Manifest.Name} was rendered without {MissingFontPackages.Count} of the {FontCatalog.CuratedPackages.Count} curated font packages " +
          $"({string.Join(", ", MissingFontPackages.Take(5))}{(MissingFontPackages.Count > 5 ? ", …" : "")}), so it differs from the published data set; " +
          "run data-scripts/install-fonts.sh.";
}

/// <summary>
/// The offline default data set (spec/data.md §2, §5.1): classes are characters, samples are font faces, rendered
/// with SkiaSharp. Filters: allowlisted faces, blank renders, duplicate renders within a class (fonts that copy
/// outlines), and cross-script homoglyphs (checked in a reference face). The class split is a seeded permutation.
/// Rendered once and cached under <c>&lt;data root&gt;/glyphs/&lt;name&gt;-&lt;key&gt;/</c> as <c>images.bin</c> + <c>manifest.json</c>.
/// </summary>
public static class GlyphDataset
{
    private const string RendererRevision = "glyph-renderer-1";

    /// <summary>Loads the data set from the cache, rendering and caching it first when needed.</summary>
    /// <param name="options">Options (<see cref="GlyphDatasetOptions.Tiny"/>, <see cref="GlyphDatasetOptions.Standard"/>, …).</param>
    /// <param name="dataRoot">Data root; defaults to <see cref="DataRoot.Default"/>.</param>
    /// <param name="faces">Faces to use instead of the option's font set (tests).</param>
    /// <param name="dpkgInfoDirectory">Where dpkg's package file lists are (default <see cref="FontCatalog.DpkgInfoDirectory"/>).</param>
    public static GlyphDatasetResult Load(GlyphDatasetOptions options, string? dataRoot = null, IReadOnlyList<FontFace>? faces = null,
        string dpkgInfoDirectory = FontCatalog.DpkgInfoDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IReadOnlyList<string> missing = [];
        faces ??= FacesFor(options.Fonts, out missing, dpkgInfoDirectory);
        if (faces.Count == 0) throw new ArgumentException("no font faces to render from.", nameof(faces));
        var dir = Path.Combine(dataRoot ?? DataRoot.Default, "glyphs", $"{options.Name}-{CacheKey(options, faces)}");
        bool cached = File.Exists(Path.Combine(dir, "manifest.json"));
        if (!cached)
        {
            var (manifest, pixels) = Render(options, faces);
            Write(dir, manifest, pixels);
        }
        return Read(dir, fromCache: cached) with { MissingFontPackages = missing };
    }

    /// <summary>The faces of a font set; for <see cref="GlyphFontSet.Curated"/> throws when more than half of the packages are not installed.</summary>
    public static IReadOnlyList<FontFace> FacesFor(GlyphFontSet set) => FacesFor(set, out _);

    /// <summary>
    /// The faces of a font set, and the curated packages that are not installed (rendering goes on without them, so
    /// callers should report <paramref name="missingPackages"/>); throws when more than half are missing.
    /// </summary>
    /// <param name="set">The font set.</param>
    /// <param name="missingPackages">Curated packages not installed (always empty for <see cref="GlyphFontSet.DejaVu"/>).</param>
    /// <param name="dpkgInfoDirectory">Where dpkg's package file lists are.</param>
    public static IReadOnlyList<FontFace> FacesFor(GlyphFontSet set, out IReadOnlyList<string> missingPackages, string dpkgInfoDirectory = FontCatalog.DpkgInfoDirectory)
    {
        missingPackages = [];
        if (set == GlyphFontSet.DejaVu) return FontCatalog.DejaVu();
        var faces = FontCatalog.FromDebianPackages(FontCatalog.CuratedPackages, out var missing, dpkgInfoDirectory);
        if (missing.Count > FontCatalog.CuratedPackages.Count / 2)
            throw new InvalidOperationException($"{missing.Count} of {FontCatalog.CuratedPackages.Count} curated font packages are not installed (e.g. {missing[0]}): run data-scripts/install-fonts.sh.");
        missingPackages = missing;
        return faces;
    }

    /// <summary>Renders the data set in memory: the manifest (without a cache folder) and the N×S×S pixels.</summary>
    public static (GlyphManifest Manifest, byte[] Pixels) Render(GlyphDatasetOptions options, IReadOnlyList<FontFace> faces)
    {
        options.Validate();
        int size = options.ImageSize, pixelsPerImage = size * size;
        using var renderer = new GlyphRenderer(size, options.EmFraction);
        var reference = faces.FirstOrDefault(f => f.Family == "DejaVu Sans" && f.Style == "400/5/Upright") ?? faces[0];
        var acceptedRefs = new List<byte[]>();
        var classes = new List<(int CodePoint, List<(int Face, byte[] Pixels)> Images)>();
        foreach (var cp in GlyphCharacters.Candidates)
        {
            if (classes.Count == options.ClassCount) break;
            var refRender = renderer.Render(reference, cp);
            if (refRender is null || Ink(refRender) < options.MinInk) continue;
            if (acceptedRefs.Any(r => MeanAbsDiff(r, refRender) < options.HomoglyphThreshold)) continue;
            var covering = Enumerable.Range(0, faces.Count).Where(f => renderer.Covers(faces[f], cp)).ToList();
            if (covering.Count < options.MinImagesPerClass) continue;
            var rng = new Random(HashCode(options.Seed, cp));
            var kept = new List<(int, byte[])>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in covering.OrderBy(_ => rng.Next()))
            {
                var img = renderer.Render(faces[f], cp)!;
                if (Ink(img) < options.MinInk) continue;                               // blank glyph
                if (!seen.Add(Convert.ToHexString(SHA256.HashData(img)))) continue;     // copied outline
                kept.Add((f, img));
                if (kept.Count == options.MaxFacesPerClass) break;
            }
            if (kept.Count < options.MinImagesPerClass) continue;
            acceptedRefs.Add(refRender);
            classes.Add((cp, kept.OrderBy(k => k.Item1).ToList()));
        }
        if (classes.Count < options.ClassCount)
            throw new InvalidOperationException($"{options.Name}: only {classes.Count} characters have ≥ {options.MinImagesPerClass} distinct renders among {faces.Count} faces; {options.ClassCount} were asked for.");
        var splitRng = new Random(options.Seed);
        var trainSet = Enumerable.Range(0, classes.Count).OrderBy(_ => splitRng.Next()).Take(options.TrainClassCount).ToHashSet();
        int n = classes.Sum(c => c.Images.Count);
        var pixels = new byte[(long)n * pixelsPerImage];
        int k = 0;
        foreach (var (_, images) in classes)
            foreach (var (_, img) in images) img.CopyTo(pixels, (long)k++ * pixelsPerImage);
        var manifest = new GlyphManifest
        {
            Name = options.Name,
            Options = options,
            Renderer = $"SkiaSharp {typeof(SKBitmap).Assembly.GetName().Version}/{RendererRevision}",
            Faces = faces,
            Classes = classes.Select((c, i) => new GlyphClass(c.CodePoint, char.ConvertFromUtf32(c.CodePoint), trainSet.Contains(i) ? "train" : "test",
                c.Images.Select(im => im.Face).ToList())).ToList(),
            ImageCount = n,
            ImagesSha256 = Convert.ToHexStringLower(SHA256.HashData(pixels)),
        };
        return (manifest, pixels);
    }

    /// <summary>Builds the zero-shot data set of a manifest over its pixels.</summary>
    public static ZeroShotDataset ToDataset(GlyphManifest manifest, byte[] pixels)
    {
        int size = manifest.Options.ImageSize;
        var buffer = new PixelBuffer(manifest.Name, pixels, manifest.ImageCount, size, size, 1);
        var train = new List<(ImageSource, int)>();
        var test = new List<(ImageSource, int)>();
        int k = 0;
        foreach (var c in manifest.Classes)
            foreach (var _ in c.Faces)
                (c.Split == "train" ? train : test).Add((new PixelImageSource(buffer, k++), c.CodePoint));
        return new ZeroShotDataset(manifest.Name,
            DataSplit.FromOriginalLabels(manifest.Name + "/train", train),
            DataSplit.FromOriginalLabels(manifest.Name + "/test", test));
    }

    private static GlyphDatasetResult Read(string dir, bool fromCache)
    {
        var manifestPath = Path.Combine(dir, "manifest.json");
        var json = File.ReadAllBytes(manifestPath);
        var manifest = GlyphManifest.FromJson(json, manifestPath);
        var imagesPath = Path.Combine(dir, "images.bin");
        if (!File.Exists(imagesPath)) throw new FileNotFoundException($"glyph cache '{dir}' lacks images.bin; delete the folder to re-render.", imagesPath);
        var pixels = File.ReadAllBytes(imagesPath);
        if (Convert.ToHexStringLower(SHA256.HashData(pixels)) != manifest.ImagesSha256)
            throw new InvalidDataException($"'{imagesPath}' does not match the SHA-256 in its manifest; delete '{dir}' to re-render.");
        return new GlyphDatasetResult(ToDataset(manifest, pixels), manifest, Convert.ToHexStringLower(SHA256.HashData(json)), dir, fromCache);
    }

    // Written into a temporary sibling and renamed, so a killed render never leaves a half cache behind.
    private static void Write(string dir, GlyphManifest manifest, byte[] pixels)
    {
        var parent = Path.GetDirectoryName(dir)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".tmp-{Path.GetFileName(dir)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            File.WriteAllBytes(Path.Combine(tmp, "images.bin"), pixels);
            File.WriteAllBytes(Path.Combine(tmp, "manifest.json"), manifest.ToJsonBytes());
            try { Directory.Move(tmp, dir); }
            catch (IOException) when (File.Exists(Path.Combine(dir, "manifest.json"))) { Directory.Delete(tmp, true); } // another process won the race
        }
        catch { if (Directory.Exists(tmp)) Directory.Delete(tmp, true); throw; }
    }

    private static string CacheKey(GlyphDatasetOptions options, IReadOnlyList<FontFace> faces)
    {
        var sb = new StringBuilder();
        sb.Append(RendererRevision).Append('|').Append(typeof(SKBitmap).Assembly.GetName().Version).Append('|');
        sb.Append(System.Text.Json.JsonSerializer.Serialize(options, GlyphManifest.Json));
        foreach (var f in faces) sb.Append('|').Append(f.Path).Append('#').Append(f.FaceIndex).Append('#').Append(f.Sha256);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..12];
    }

    private static double Ink(byte[] img)
    {
        long s = 0;
        foreach (var b in img) s += b;
        return s / (255.0 * img.Length);
    }

    private static double MeanAbsDiff(byte[] a, byte[] b)
    {
        long s = 0;
        for (int i = 0; i < a.Length; i++) s += Math.Abs(a[i] - b[i]);
        return s / (255.0 * a.Length);
    }

    private static int HashCode(int seed, int cp) => unchecked(seed * 1_000_003 + cp * 7919 + 17);
}
