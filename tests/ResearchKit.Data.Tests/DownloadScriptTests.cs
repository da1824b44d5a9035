namespace ResearchKit.Data.Tests;

/// <summary>
/// The real download scripts, run with bash against fixture archives served through file:// URLs
/// (RESEARCHKIT_&lt;KEY&gt;_URL) and checked through the test checksum override (RESEARCHKIT_&lt;KEY&gt;_SHA256).
/// </summary>
public class DownloadScriptTests
{
    private const string Unreachable = "http://127.0.0.1:9/archive";   // the discard port: connection refused

    // A CUB fixture (200 classes × 1 image) packed as CUB_200_2011.tgz, and a fresh data root beside it.
    private static (string Archive, string Root) CubArchive(TempDir t)
    {
        var src = t.Sub("src");
        Fixtures.Cub(src, perClass: 1);
        return (ScriptHarness.TarGz(src, "CUB_200_2011", t.Sub("CUB_200_2011.tgz")), t.Sub("data"));
    }

    private static Dictionary<string, string> CubEnv(string url, string sha) =>
        new() { ["RESEARCHKIT_CUB_URL"] = url, ["RESEARCHKIT_CUB_SHA256"] = sha };

    [Fact]
    public void Cub_script_downloads_verifies_and_extracts_a_layout_the_loader_reads()
    {
        using var t = new TempDir();
        var (archive, root) = CubArchive(t);
        var sha = ScriptHarness.Sha256(archive);
        var r = ScriptHarness.Run("get-cub.sh", root, CubEnv(ScriptHarness.FileUrl(archive), sha));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(root, "CUB_200_2011", "images.txt")), r.ToString());
        Assert.Contains($"{sha}  CUB_200_2011.tgz", File.ReadAllText(Path.Combine(root, "CUB_200_2011", ".complete")));
        Assert.Equal(sha, ScriptHarness.Sha256(Path.Combine(root, "downloads", "CUB_200_2011.tgz")));
        Assert.Empty(ScriptHarness.StagingLeftovers(root));
        var ds = CubLoader.Load(root);
        Assert.Equal((100, 100, 100), (ds.Train.ClassCount, ds.Test.ClassCount, ds.Train.Count));
    }

    [Fact]
    public void Cub_rerun_downloads_and_extracts_nothing()
    {
        using var t = new TempDir();
        var (archive, root) = CubArchive(t);
        var sha = ScriptHarness.Sha256(archive);
        Assert.Equal(0, ScriptHarness.Run("get-cub.sh", root, CubEnv(ScriptHarness.FileUrl(archive), sha)).ExitCode);
        var marker = Path.Combine(root, "CUB_200_2011", ".complete");
        var images = Path.Combine(root, "CUB_200_2011", "images.txt");
        var past = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(marker, past);
        File.SetLastWriteTimeUtc(images, past);
        // An unreachable source: any download attempt would fail the rerun.
        var r = ScriptHarness.Run("get-cub.sh", root, CubEnv(Unreachable, sha));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("already extracted", r.Stdout);
        Assert.DoesNotContain("downloading", r.Stdout);
        Assert.DoesNotContain("extracting", r.Stdout);
        Assert.Equal(past, File.GetLastWriteTimeUtc(marker));
        Assert.Equal(past, File.GetLastWriteTimeUtc(images));
    }

    [Theory]
    [InlineData("get-cub.sh", "CUB_200_2011")]
    [InlineData("get-sop.sh", "Stanford_Online_Products")]
    [InlineData("get-cars.sh", "cars196")]
    public void Completed_data_set_is_recognised_before_any_download(string script, string folder)
    {
        using var t = new TempDir();
        var root = t.Sub("data");
        File.WriteAllText(Path.Combine(root, folder, ".complete").EnsureDir(), "");
        var env = new Dictionary<string, string>
        {
            ["RESEARCHKIT_CUB_URL"] = Unreachable, ["RESEARCHKIT_SOP_URL"] = Unreachable,
            ["RESEARCHKIT_CARS_IMS_URL"] = Unreachable, ["RESEARCHKIT_CARS_ANNOS_URL"] = Unreachable,
        };
        var r = ScriptHarness.Run(script, root, env);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("already extracted", r.Stdout);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "downloads")));
    }

    [Fact]
    public void Checksum_mismatch_fails_naming_the_file_deletes_it_and_extracts_nothing()
    {
        using var t = new TempDir();
        var (archive, root) = CubArchive(t);
        var r = ScriptHarness.Run("get-cub.sh", root, CubEnv(ScriptHarness.FileUrl(archive), new string('0', 64)));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("checksum mismatch for CUB_200_2011.tgz", r.Stderr);
        Assert.False(File.Exists(Path.Combine(root, "downloads", "CUB_200_2011.tgz")));
        Assert.False(Directory.Exists(Path.Combine(root, "CUB_200_2011")));
        Assert.Empty(ScriptHarness.StagingLeftovers(root));
    }

    [Fact]
    public void Published_md5_mismatch_fails_too()
    {
        // Without the override the script checks the real archive's MD5, which the fixture cannot have.
        using var t = new TempDir();
        var (archive, root) = CubArchive(t);
        var r = ScriptHarness.Run("get-cub.sh", root, new Dictionary<string, string> { ["RESEARCHKIT_CUB_URL"] = ScriptHarness.FileUrl(archive) });
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("checksum mismatch for CUB_200_2011.tgz: MD5 expected 97eceeb196236b17998738112f37df78", r.Stderr);
        Assert.False(File.Exists(Path.Combine(root, "downloads", "CUB_200_2011.tgz")));
        Assert.False(Directory.Exists(Path.Combine(root, "CUB_200_2011")));
    }

    [Fact]
    public void Verify_on_a_fresh_data_root_checks_the_md5_records_the_sha256_and_checks_it_later()
    {
        using var t = new TempDir();
        var root = t.Sub("data");
        var file = Path.Combine(root, "downloads", "x.tgz").EnsureDir();
        File.WriteAllBytes(file, [1, 2, 3, 4, 5]);
        var common = Path.Combine(ScriptHarness.ScriptsDirectory, "common.sh");
        // First use: no local pin list exists yet (the case that used to end every script silently).
        var r = ScriptHarness.RunSnippet($"source '{common}'; verify x.tgz {ScriptHarness.Md5(file)}; echo VERIFIED", root);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("VERIFIED", r.Stdout);
        Assert.Equal($"{ScriptHarness.Sha256(file)}  x.tgz", File.ReadAllText(Path.Combine(root, "checksums.sha256")).Trim());
        // Later downloads are checked against the recorded SHA-256.
        File.WriteAllBytes(file, [1, 2, 3, 4, 6]);
        r = ScriptHarness.RunSnippet($"source '{common}'; verify x.tgz; echo VERIFIED", root);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("checksum mismatch for x.tgz: SHA-256", r.Stderr);
        Assert.DoesNotContain("VERIFIED", r.Stdout);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Interrupted_download_resumes_from_its_part_file()
    {
        using var t = new TempDir();
        var (archive, root) = CubArchive(t);
        var bytes = File.ReadAllBytes(archive);
        int kept = bytes.Length / 2;
        File.WriteAllBytes(Path.Combine(root, "downloads", "CUB_200_2011.tgz.part").EnsureDir(), bytes[..kept]);
        // The served copy differs in the bytes the .part already holds: only a resumed download yields the right file.
        var served = (byte[])bytes.Clone();
        Array.Fill(served, (byte)0xAB, 0, kept);
        var mirror = t.Sub("mirror.tgz");
        File.WriteAllBytes(mirror, served);
        var r = ScriptHarness.Run("get-cub.sh", root, CubEnv(ScriptHarness.FileUrl(mirror), ScriptHarness.Sha256(archive)));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"resuming CUB_200_2011.tgz from byte {kept}", r.Stdout);
        Assert.False(File.Exists(Path.Combine(root, "downloads", "CUB_200_2011.tgz.part")));
        Assert.True(File.Exists(Path.Combine(root, "CUB_200_2011", ".complete")));
    }

    [Theory]
    [InlineData(Unreachable, "network unavailable or host unreachable")]
    [InlineData("missing", "source not found")]
    public void Unavailable_source_fails_with_a_clear_message_and_leaves_nothing(string url, string message)
    {
        using var t = new TempDir();
        var root = t.Sub("data");
        if (url == "missing") url = ScriptHarness.FileUrl(t.Sub("no-such.tgz"));
        var r = ScriptHarness.Run("get-cub.sh", root, CubEnv(url, new string('0', 64)));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Contains("CUB_200_2011.tgz", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "downloads")));
        Assert.False(Directory.Exists(Path.Combine(root, "CUB_200_2011")));
        Assert.Empty(ScriptHarness.StagingLeftovers(root));
    }

    [Fact]
    public void Archive_that_fails_to_extract_leaves_nothing_half_extracted()
    {
        using var t = new TempDir();
        var (archive, root) = CubArchive(t);
        var truncated = t.Sub("truncated.tgz");
        var bytes = File.ReadAllBytes(archive);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length * 2 / 3)]);
        var r = ScriptHarness.Run("get-cub.sh", root, CubEnv(ScriptHarness.FileUrl(truncated), ScriptHarness.Sha256(truncated)));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("cannot extract CUB_200_2011.tgz", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(root, "CUB_200_2011")));
        Assert.Empty(ScriptHarness.StagingLeftovers(root));
    }

    [Fact]
    public void Sop_script_extracts_the_zip_for_the_loader()
    {
        using var t = new TempDir();
        var src = t.Sub("src");
        Fixtures.Sop(src, trainClasses: 3, testClasses: 2, perClass: 2);
        var zip = ScriptHarness.Zip(src, t.Sub("Stanford_Online_Products.zip"));
        var root = t.Sub("data");
        var sha = ScriptHarness.Sha256(zip);
        var r = ScriptHarness.Run("get-sop.sh", root,
            new Dictionary<string, string> { ["RESEARCHKIT_SOP_URL"] = ScriptHarness.FileUrl(zip), ["RESEARCHKIT_SOP_SHA256"] = sha });
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"{sha}  Stanford_Online_Products.zip", File.ReadAllText(Path.Combine(root, "Stanford_Online_Products", ".complete")));
        var ds = SopLoader.Load(root);
        Assert.Equal((3, 2, 4), (ds.Train.ClassCount, ds.Test.ClassCount, ds.Test.Count));
    }

    [Fact]
    public void Cars_kaggle_copy_is_merged_into_class_folders_with_the_2_suffix_on_collisions()
    {
        using var t = new TempDir();
        var src = t.Sub("src");
        Fixtures.CarsKaggle(src, perClass: 1);
        // A test image named like the train image of its class (jutrera numbers train and test separately).
        var cls = Path.GetFileName(Directory.GetDirectories(Path.Combine(src, "car_data", "car_data", "test")).Order(StringComparer.Ordinal).First());
        var trainName = Path.GetFileName(Directory.GetFiles(Path.Combine(src, "car_data", "car_data", "train", cls)).Single());
        Fixtures.Image(Path.Combine(src, "car_data", "car_data", "test", cls, trainName), 999, 8, 8);
        var zip = ScriptHarness.Zip(src, t.Sub("kaggle.zip"));
        var root = t.Sub("data");
        var r = ScriptHarness.Run("get-cars.sh", root, new Dictionary<string, string>
        {
            ["RESEARCHKIT_CARS_KAGGLE_URL"] = ScriptHarness.FileUrl(zip),
            ["RESEARCHKIT_CARS_KAGGLE_SHA256"] = ScriptHarness.Sha256(zip),
        }, "--kaggle");
        Assert.True(r.ExitCode == 0, r.ToString());
        var merged = Path.Combine(root, "cars196", "images", cls);
        Assert.True(File.Exists(Path.Combine(merged, trainName)), r.ToString());
        Assert.True(File.Exists(Path.Combine(merged, Path.GetFileNameWithoutExtension(trainName) + "_2.jpg")));
        Assert.False(Directory.Exists(Path.Combine(root, "cars196", "car_data")));
        var ds = CarsLoader.Load(root);
        Assert.Equal((98, 98), (ds.Train.ClassCount, ds.Test.ClassCount));
        Assert.Equal(2 * 196 + 1, ds.Train.Count + ds.Test.Count);
    }

    // PRISM fixture: a datalist folder holding only some of the published lists.
    private static readonly string[] PrismPublished = ["CUB_train.csv", "CUB_test.csv", "CUB_0.2noised_train.csv"];

    private static string PrismSource(TempDir t)
    {
        var dir = t.Sub("prism-src");
        Directory.CreateDirectory(dir);
        foreach (var f in PrismPublished) File.WriteAllText(Path.Combine(dir, f), $"/data/CUB_200_2011/images/001.A/{f}.jpg,1\n");
        return dir;
    }

    [Fact]
    public void Prism_script_records_checksums_on_first_use_and_then_stays_offline()
    {
        using var t = new TempDir();
        var src = PrismSource(t);
        var root = t.Sub("data");
        var r = ScriptHarness.Run("get-prism.sh", root, new Dictionary<string, string> { ["RESEARCHKIT_PRISM_URL"] = ScriptHarness.FileUrl(src) });
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("recorded on first use", r.Stdout);
        var dest = Path.Combine(root, "prism", "datalist");
        foreach (var f in PrismPublished) Assert.Equal(File.ReadAllText(Path.Combine(src, f)), File.ReadAllText(Path.Combine(dest, f)));
        var pins = File.ReadAllLines(Path.Combine(root, "checksums.sha256"));
        Assert.Contains($"{ScriptHarness.Sha256(Path.Combine(src, "CUB_train.csv"))}  prism-CUB_train.csv", pins);
        Assert.Equal(PrismPublished.Length, pins.Length);
        Assert.Contains("SOP_0.5smallclusternoised_train.csv", File.ReadAllLines(Path.Combine(dest, ".unpublished")));
        // Every list is now present or known to be unpublished: a rerun must not need the network.
        r = ScriptHarness.Run("get-prism.sh", root, new Dictionary<string, string> { ["RESEARCHKIT_PRISM_URL"] = Unreachable });
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("nothing downloaded", r.Stdout);
    }

    [Fact]
    public void Prism_list_fetched_again_is_checked_against_the_recorded_checksum()
    {
        using var t = new TempDir();
        var src = PrismSource(t);
        var root = t.Sub("data");
        var env = new Dictionary<string, string> { ["RESEARCHKIT_PRISM_URL"] = ScriptHarness.FileUrl(src) };
        Assert.Equal(0, ScriptHarness.Run("get-prism.sh", root, env).ExitCode);
        File.Delete(Path.Combine(root, "prism", "datalist", "CUB_train.csv"));
        File.Delete(Path.Combine(root, "downloads", "prism-CUB_train.csv"));
        File.AppendAllText(Path.Combine(src, "CUB_train.csv"), "/data/CUB_200_2011/images/001.A/extra.jpg,1\n");
        var r = ScriptHarness.Run("get-prism.sh", root, env);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("checksum mismatch for prism-CUB_train.csv", r.Stderr);
        Assert.False(File.Exists(Path.Combine(root, "prism", "datalist", "CUB_train.csv")));
    }
}
