using System.Reflection;
using System.Text.Json.Nodes;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Engine;

/// <summary>
/// Finished runs record the build that trained them, and reusing one trained by other code says so instead of passing it
/// off as this build's.
/// </summary>
public class KitBuildTests(GlyphsTinyFixture fixture) : IClassFixture<GlyphsTinyFixture>
{
    [Fact]
    public void Version_is_the_assemblys_informational_version()
    {
        var expected = typeof(TrainingResult).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(expected, KitBuild.Version);
        Assert.Null(KitBuild.Difference(KitBuild.Version));
        Assert.Contains("trained by ResearchKit 0.9.0+abc", KitBuild.Difference("0.9.0+abc"));
        Assert.Contains("did not record its version", KitBuild.Difference(null));
    }

    [Fact]
    public void Finished_runs_record_the_build_and_reuse_names_another_one()
    {
        var profile = Profiles.Smoke with { Base = Profiles.Smoke.Base with { Epochs = 1, EvalEveryEpochs = 1 } };
        var table1 = ExperimentRegistry.Get("table1");
        using var dir = new TempDir();
        var options = new TrainerOptions { Dataset = fixture.Dataset };
        ExperimentRunner.Run(table1, profile, dir.Path, seeds: 1, options: options);

        var results = Directory.GetFiles(dir.Path, RunLayout.Result, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, results.Count);
        foreach (var path in results) Assert.Equal(KitBuild.Version, (string?)JsonNode.Parse(File.ReadAllText(path))!["kitVersion"]);

        // One run "trained" by an older build, one by a build from before the field existed; the third is this build's.
        var older = JsonNode.Parse(File.ReadAllText(results[0]))!;
        older["kitVersion"] = "0.9.0+0123abc";
        File.WriteAllText(results[0], older.ToJsonString());
        var unrecorded = JsonNode.Parse(File.ReadAllText(results[1]))!.AsObject();
        unrecorded.Remove("kitVersion");
        File.WriteAllText(results[1], unrecorded.ToJsonString());

        var lines = new List<string>();
        ExperimentRunner.Run(table1, profile, dir.Path, seeds: 1, options: options, log: lines.Add);
        var reused = lines.Where(l => l.Contains("done already")).ToList();
        Assert.Equal(3, reused.Count);
        Assert.Single(reused, l => l.Contains($"trained by ResearchKit 0.9.0+0123abc (this is {KitBuild.Version})")
                                   && l.Contains(Path.GetDirectoryName(results[0])!));
        Assert.Single(reused, l => l.Contains("did not record its version") && l.Contains(Path.GetDirectoryName(results[1])!));
        Assert.Single(reused, l => l.EndsWith("done already"));
    }
}
