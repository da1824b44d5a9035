using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ResearchKit.Training.Config;

/// <summary>
/// The identity of a run's recipe: SHA-256 of the resolved config with the fields that only say <em>where</em> it runs
/// reset to their defaults (<see cref="TrainingConfig.Device"/>, <see cref="TrainingConfig.Threads"/>,
/// <see cref="TrainingConfig.Workers"/>, <see cref="TrainingConfig.KeepCheckpoints"/>), so a run started on a GPU may be
/// resumed on the CPU but an epoch-6 checkpoint cannot continue a 4-epoch run. Stored in every checkpoint.
/// </summary>
public static class ConfigFingerprint
{
    private static readonly TrainingConfig Defaults = new();

    /// <summary>The config without its runtime-only fields.</summary>
    public static TrainingConfig Recipe(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config with
        {
            Device = Defaults.Device, Threads = Defaults.Threads, Workers = Defaults.Workers, KeepCheckpoints = Defaults.KeepCheckpoints,
        };
    }

    /// <summary>Lower-case hex SHA-256 of <see cref="Recipe"/>'s JSON.</summary>
    public static string Of(TrainingConfig config) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(TrainingConfigJson.Serialize(Recipe(config)))));

    /// <summary>The first 12 hex digits, for messages.</summary>
    public static string Short(string fingerprint) => fingerprint.Length > 12 ? fingerprint[..12] : fingerprint;

    /// <summary>
    /// The recipe fields that differ, as "epochs: 6 vs 4" (JSON paths, first config's value first), at most
    /// <paramref name="max"/> of them; empty when the recipes are the same.
    /// </summary>
    public static IReadOnlyList<string> Differences(TrainingConfig a, TrainingConfig b, int max = 4)
    {
        var diffs = new List<string>();
        Compare(JsonNode.Parse(TrainingConfigJson.Serialize(Recipe(a))), JsonNode.Parse(TrainingConfigJson.Serialize(Recipe(b))), "", diffs);
        return diffs.Count <= max ? diffs : [.. diffs.Take(max), $"and {diffs.Count - max} more"];
    }

    /// <summary>
    /// "epochs: 6 vs 4; batchSize: 64 vs 32". When no field differs, the fingerprints came from different JSON forms of the
    /// same recipe (a config written by an earlier version, e.g. the loss section before issue 11): the text says so.
    /// </summary>
    public static string DescribeDifferences(TrainingConfig a, TrainingConfig b)
    {
        var diffs = Differences(a, b);
        return diffs.Count > 0 ? string.Join("; ", diffs) : FormatChanged;
    }

    /// <summary>What <see cref="DescribeDifferences"/> says when the recipes are equal but their fingerprints are not.</summary>
    public const string FormatChanged = "no field: the config's JSON form changed since the checkpoint was written (issue 11: the " +
        "loss section now holds only the chosen loss's options, {\"kind\": \"proxyAnchor\", …}, instead of every loss's with \"base\"), " +
        "so its fingerprint differs; this version cannot continue that checkpoint: start the run again in a new folder";

    private static void Compare(JsonNode? a, JsonNode? b, string path, List<string> diffs)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(kv => kv.Key).Union(ob.Select(kv => kv.Key)))
                Compare(oa[key], ob[key], path.Length == 0 ? key : path + "." + key, diffs);
            return;
        }
        if (!JsonNode.DeepEquals(a, b))
            diffs.Add($"{path}: {a?.ToJsonString() ?? "null"} vs {b?.ToJsonString() ?? "null"}");
    }
}
