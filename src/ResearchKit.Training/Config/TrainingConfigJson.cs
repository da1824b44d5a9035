using System.Text.Json;
using System.Text.Json.Serialization;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Config;

/// <summary>JSON form of <see cref="TrainingConfig"/>: camelCase, enums as strings, unknown fields rejected (typos fail loudly).</summary>
public static class TrainingConfigJson
{
    /// <summary>The serializer options used for configs and run files.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>Serializes a config (all fields, resolved).</summary>
    public static string Serialize(TrainingConfig config) => JsonSerializer.Serialize(config, Options);

    /// <summary>Parses and validates a config; missing fields take the paper's defaults.</summary>
    /// <exception cref="ArgumentException">Malformed JSON, an unknown field or enum value, or a field out of range.</exception>
    public static TrainingConfig Deserialize(string json, string source = "config")
    {
        TrainingConfig? config;
        try { config = JsonSerializer.Deserialize<TrainingConfig>(json, Options); }
        catch (JsonException ex) { throw new ArgumentException($"Invalid training config in {source}: {ex.Message}", nameof(json), ex); }
        if (config is null) throw new ArgumentException($"Training config in {source} is null.", nameof(json));
        try { return config.Validate(); }
        catch (ArgumentException ex) { throw new ArgumentException($"{source}: {ex.Message}", ex.ParamName, ex); }
    }

    /// <summary>Loads and validates a config file.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static TrainingConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"training config file not found: '{Path.GetFullPath(path)}'", path);
        return Deserialize(File.ReadAllText(path), path);
    }

    /// <summary>Writes a config file atomically.</summary>
    public static void Save(TrainingConfig config, string path) => AtomicFile.WriteAllText(path, Serialize(config));
}
