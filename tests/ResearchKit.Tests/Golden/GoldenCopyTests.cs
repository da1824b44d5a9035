using System.Security.Cryptography;
using System.Text.Json;

namespace ResearchKit.Tests.Golden;

/// <summary>The golden files shipped with the tests are an exact copy of ../shared/golden.</summary>
public class GoldenCopyTests
{
    private static readonly string[] Expected =
    [
        "proxy_anchor_loss.json", "proxy_nca_loss.json", "soft_triple_loss.json", "retrieval_metrics.json",
        "nmi.json", "cp_loss.json", "cp_queue.json", "smooth_proxy_anchor.json", "deviation.json",
    ];

    [Fact]
    public void Local_copy_has_every_family_and_parses()
    {
        foreach (var name in Expected)
        {
            var path = Path.Combine(GoldenData.LocalDirectory, name);
            Assert.True(File.Exists(path), $"missing golden copy {path}");
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            Assert.Equal(1, doc.RootElement.GetProperty("schema_version").GetInt32());
            Assert.Equal(Path.GetFileNameWithoutExtension(name), doc.RootElement.GetProperty("family").GetString());
            Assert.NotEqual(0, doc.RootElement.GetProperty("cases").GetArrayLength());
        }
    }

    [Fact]
    public void Local_copy_equals_shared_golden_where_it_exists()
    {
        var shared = GoldenData.SharedDirectory;
        // The source copy (tests/ResearchKit.Tests/golden) and the build-output copy must agree with it byte for byte.
        var sourceCopy = Path.Combine(GoldenData.RepositoryRoot, "tests", "ResearchKit.Tests", "golden");
        foreach (var name in Expected)
        {
            var local = Hash(Path.Combine(GoldenData.LocalDirectory, name));
            Assert.Equal(Hash(Path.Combine(sourceCopy, name)), local);
            if (shared is not null)
                Assert.True(Hash(Path.Combine(shared, name)) == local,
                    $"{name} differs from {shared}; copy it again: cp ../shared/golden/*.json tests/ResearchKit.Tests/golden/");
        }
        if (shared is not null)
        {
            var sharedNames = Directory.GetFiles(shared, "*.json").Select(Path.GetFileName).Order();
            Assert.Equal(sharedNames, Expected.Order());
        }
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
