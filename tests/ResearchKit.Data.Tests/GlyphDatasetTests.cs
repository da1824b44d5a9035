namespace ResearchKit.Data.Tests;

public class GlyphDatasetTests
{
    [Fact]
    public void Glyphs_tiny_renders_caches_and_has_a_stable_manifest()
    {
        using var root1 = new TempDir();
        using var root2 = new TempDir();
        var a = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root1.Path);
        var b = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root2.Path);
        var again = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root1.Path);

        Assert.False(a.FromCache);
        Assert.True(again.FromCache);
        Assert.Empty(a.MissingFontPackages);
        Assert.Null(a.Warning);
        Assert.Equal(a.ManifestSha256, b.ManifestSha256);
        Assert.Equal(a.ManifestSha256, again.ManifestSha256);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.CacheDirectory, "manifest.json")), File.ReadAllBytes(Path.Combine(b.CacheDirectory, "manifest.json")));

        var ds = a.Dataset;
        Assert.Equal(40, ds.Train.ClassCount);
        Assert.Equal(40, ds.Test.ClassCount);
        Assert.Empty(ds.Train.ClassIds.Intersect(ds.Test.ClassIds));
        Assert.All(ds.Train.ClassCounts.Concat(ds.Test.ClassCounts), c => Assert.InRange(c, GlyphDatasetOptions.Tiny.MinImagesPerClass, 21));
    }

    [Fact]
    public void Homoglyphs_blanks_and_duplicates_are_filtered()
    {
        var faces = FontCatalog.DejaVu();
        var (manifest, pixels) = GlyphDataset.Render(GlyphDatasetOptions.Tiny with { ClassCount = 300, TrainClassCount = 150 }, faces);
        var cps = manifest.Classes.Select(c => c.CodePoint).ToHashSet();
        Assert.Contains((int)'A', cps);
        Assert.DoesNotContain(0x391, cps);   // Greek capital Alpha looks like Latin A
        Assert.DoesNotContain(0x410, cps);   // Cyrillic capital A
        Assert.DoesNotContain(0x43E, cps);   // Cyrillic small o
        Assert.Contains((int)'o', cps);
        Assert.Contains((int)'O', cps);      // case pairs differing in size stay (fixed em scale)
        Assert.Contains(0x3BB, cps);         // Greek lambda has no Latin look-alike

        int s = manifest.Options.ImageSize * manifest.Options.ImageSize, k = 0;
        foreach (var c in manifest.Classes)
        {
            var hashes = new HashSet<string>();
            foreach (var _ in c.Faces)
            {
                var img = pixels.AsSpan(k++ * s, s);
                Assert.True(hashes.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(img))), $"duplicate render in class {c.Character}");
                Assert.True(img.ToArray().Average(b => b) > 0.01 * 255, $"blank render in class {c.Character}");
            }
        }
    }

    [Fact]
    public void Glyphs_are_centred_on_their_ink_box()
    {
        var faces = FontCatalog.DejaVu();
        using var r = new GlyphRenderer(32, 0.7);
        foreach (var ch in "gqjA.")
        {
            var img = r.Render(faces[0], ch)!;
            double sx = 0, sy = 0, sw = 0;
            for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) { double w = img[y * 32 + x]; sx += w * x; sy += w * y; sw += w; }
            // The ink box centre is at 16 px; the centre of mass lies within a few pixels of it.
            Assert.InRange(sx / sw, 11.5, 19.5);
            Assert.InRange(sy / sw, 11.5, 19.5);
        }
    }

    [Fact]
    public void Different_seed_changes_the_class_split()
    {
        var faces = FontCatalog.DejaVu();
        var (m0, _) = GlyphDataset.Render(GlyphDatasetOptions.Tiny, faces);
        var (m1, _) = GlyphDataset.Render(GlyphDatasetOptions.Tiny with { Seed = 1 }, faces);
        Assert.Equal(m0.Classes.Select(c => c.CodePoint), m1.Classes.Select(c => c.CodePoint));
        Assert.NotEqual(m0.Classes.Select(c => c.Split), m1.Classes.Select(c => c.Split));
    }

    [Fact]
    public void A_tampered_cache_is_refused()
    {
        using var root = new TempDir();
        var a = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path);
        var bin = Path.Combine(a.CacheDirectory, "images.bin");
        var bytes = File.ReadAllBytes(bin);
        bytes[123] ^= 0xFF;
        File.WriteAllBytes(bin, bytes);
        var e = Assert.Throws<InvalidDataException>(() => GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path));
        Assert.Contains("images.bin", e.Message);
    }

    // A dpkg info folder in which the first `installed` curated packages are "installed", each listing the DejaVu files.
    private static string FakeDpkg(TempDir t, int installed)
    {
        var dir = t.Sub("dpkg-info");
        Directory.CreateDirectory(dir);
        var fonts = Directory.GetFiles(FontCatalog.DejaVuDirectory, "*.ttf").Where(f => !f.Contains("Math"));
        foreach (var pkg in FontCatalog.CuratedPackages.Take(installed)) File.WriteAllLines(Path.Combine(dir, pkg + ".list"), fonts);
        return dir;
    }

    [Fact]
    public void Curated_glyphs_rendered_without_some_packages_report_them()
    {
        using var t = new TempDir();
        var dpkg = FakeDpkg(t, installed: 70);
        var options = GlyphDatasetOptions.Tiny with { Name = "glyphs-partial", Fonts = GlyphFontSet.Curated };
        var r = GlyphDataset.Load(options, t.Sub("data"), dpkgInfoDirectory: dpkg);
        Assert.Equal(FontCatalog.CuratedPackages.Skip(70), r.MissingFontPackages);
        Assert.Contains($"without {FontCatalog.CuratedPackages.Count - 70} of the {FontCatalog.CuratedPackages.Count} curated font packages", r.Warning);
        Assert.Contains("install-fonts.sh", r.Warning);
        var again = GlyphDataset.Load(options, t.Sub("data"), dpkgInfoDirectory: dpkg);
        Assert.True(again.FromCache);
        Assert.Equal(r.MissingFontPackages, again.MissingFontPackages);     // reported from the cache too
    }

    [Fact]
    public void Curated_glyphs_with_most_packages_missing_are_refused()
    {
        using var t = new TempDir();
        var dpkg = FakeDpkg(t, installed: 10);
        var e = Assert.Throws<InvalidOperationException>(() => GlyphDataset.FacesFor(GlyphFontSet.Curated, out _, dpkg));
        Assert.Contains("install-fonts.sh", e.Message);
    }

    [Fact]
    public void DejaVu_catalog_has_the_text_faces_and_no_math_face()
    {
        var faces = FontCatalog.DejaVu();
        Assert.InRange(faces.Count, 6, 21);
        Assert.DoesNotContain(faces, f => f.Path.Contains("Math"));
        Assert.Equal(faces.Count, faces.Select(f => (f.Family, f.Style)).Distinct().Count());
    }
}
