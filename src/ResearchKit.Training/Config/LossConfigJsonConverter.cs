using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ResearchKit.Losses;

namespace ResearchKit.Training.Config;

/// <summary>
/// JSON form of <see cref="LossConfig"/>, driven by <see cref="LossRegistry.Default"/>: <c>kind</c> names the loss, its
/// options sit beside the section's own fields (<c>calibrateProxy</c>, <c>proxiesPerClass</c>, <c>cp</c>, <c>confidence</c>),
/// and every other field must be an option of that loss (unknown fields are rejected, as everywhere in the config).
/// A missing <c>kind</c> is Proxy Anchor. Loss sections written before issue 11 (<c>"base": "proxyAnchor"</c> with every
/// loss's options) are read through <see cref="LegacyLossSection"/>.
/// </summary>
public sealed class LossConfigJsonConverter : JsonConverter<LossConfig>
{
    /// <summary>The discriminator field.</summary>
    public const string KindField = "kind";

    /// <inheritdoc/>
    public override LossConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (JsonNode.Parse(ref reader) is not JsonObject section)
            throw new JsonException("expected the loss section to be an object such as {\"kind\": \"proxyAnchor\", \"alpha\": 32}.");
        if (LegacyLossSection.Is(section)) section = LegacyLossSection.Migrate(section);
        var entry = EntryOf(section);
        var own = SectionFields(options);
        JsonObject common = [], lossOptions = [];
        foreach (var (key, value) in section)
            if (key != KindField) (own.Contains(key) ? common : lossOptions)[key] = value?.DeepClone();
        RequireNoCollision(entry, own, options);
        var config = common.Deserialize<LossConfig>(options) ?? new LossConfig();
        try
        {
            var chosen = (LossOptions?)lossOptions.Deserialize(entry.OptionsType, options) ?? entry.DefaultOptions;
            return config with { Base = chosen };
        }
        catch (JsonException e)
        {
            throw new JsonException($"loss '{entry.Name}': {e.Message} (its options: {string.Join(", ", OptionFields(entry, options))}; " +
                $"the section's own: {string.Join(", ", own)})", e);
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, LossConfig value, JsonSerializerOptions options)
    {
        var entry = LossRegistry.Default.For(value.Base);
        RequireNoCollision(entry, SectionFields(options), options);
        var node = new JsonObject { [KindField] = entry.Name };
        foreach (var (key, field) in JsonSerializer.SerializeToNode(value.Base, entry.OptionsType, options)!.AsObject())
            node[key] = field?.DeepClone();
        foreach (var (key, field) in JsonSerializer.SerializeToNode(value, options)!.AsObject())
            node[key] = field?.DeepClone();
        node.WriteTo(writer, options);
    }

    private static LossEntry EntryOf(JsonObject section)
    {
        var kind = LossRegistry.Default.For(new LossConfig().Base).Name;
        if (section[KindField] is { } k)
        {
            if (k.GetValueKind() != JsonValueKind.String)
                throw new JsonException($"loss.kind must be a loss name (one of {string.Join(", ", LossRegistry.Default.Names)}); got {k.ToJsonString()}.");
            kind = k.GetValue<string>();
        }
        var known = LossRegistry.Default.Names;
        if (!known.Contains(kind)) throw new JsonException($"loss.kind: unknown loss '{kind}'; expected one of: {string.Join(", ", known)}.");
        return LossRegistry.Default.Get(kind);
    }

    // The section's own JSON fields (LossConfig's contract; the options are not part of it).
    private static HashSet<string> SectionFields(JsonSerializerOptions options) =>
        options.GetTypeInfo(typeof(LossConfig)).Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> OptionFields(LossEntry entry, JsonSerializerOptions options) =>
        options.GetTypeInfo(entry.OptionsType).Properties.Select(p => p.Name);

    // An option named like a section field would be read as the section's: refuse such a loss loudly.
    private static void RequireNoCollision(LossEntry entry, HashSet<string> own, JsonSerializerOptions options)
    {
        var clash = OptionFields(entry, options).Where(own.Contains).ToList();
        if (clash.Count > 0)
            throw new JsonException($"the options of loss '{entry.Name}' ({entry.OptionsType.Name}) use the loss section's own field name(s) " +
                $"{string.Join(", ", clash)}; rename them.");
    }
}

/// <summary>
/// The loss section as written before issue 11: <c>"base": "proxyAnchor"</c> plus the options of every loss
/// (<c>proxyAnchor</c>, <c>proxyNca</c>, <c>softTriple</c>, <c>smoothProxyAnchor</c>), <c>cpNcaIncludePositive</c> and
/// <c>confidence</c>. Read as the current form with the chosen loss's options only; <c>cpNcaIncludePositive</c> becomes
/// Proxy-NCA's <see cref="ProxyNcaOptions.CpIncludePositive"/>. A run's checkpoints store their config's fingerprint,
/// which the new form changes, so such runs cannot be resumed (<see cref="ConfigFingerprint.DescribeDifferences"/> says why).
/// </summary>
public static class LegacyLossSection
{
    private const string BaseField = "base", NcaIncludePositive = "cpNcaIncludePositive";
    private static readonly string[] SectionFields = ["calibrateProxy", "proxiesPerClass", "cp"];
    private static readonly string[] LossSections = ["proxyAnchor", "proxyNca", "softTriple", "smoothProxyAnchor"];

    /// <summary>Whether <paramref name="section"/> is in the old form.</summary>
    public static bool Is(JsonObject section) =>
        !section.ContainsKey(LossConfigJsonConverter.KindField) && section[BaseField] is { } b && b.GetValueKind() == JsonValueKind.String;

    /// <summary>The section in the current form.</summary>
    /// <exception cref="JsonException">A field the old form did not have.</exception>
    public static JsonObject Migrate(JsonObject section)
    {
        var known = SectionFields.Concat(LossSections).Append(BaseField).Append(NcaIncludePositive).Append("confidence").ToHashSet();
        if (section.Select(kv => kv.Key).FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            throw new JsonException($"loss.{unknown}: not a field of the (old) loss section with \"base\"; the current form is " +
                "{\"kind\": \"proxyAnchor\", <that loss's options>, \"calibrateProxy\", \"proxiesPerClass\", \"cp\"}.");
        var kind = section[BaseField]!.GetValue<string>();
        var migrated = new JsonObject { [LossConfigJsonConverter.KindField] = kind };
        if (section[kind] is JsonObject chosen)
            foreach (var (key, value) in chosen) migrated[key] = value?.DeepClone();
        if (kind == "proxyNca" && section[NcaIncludePositive] is { } include) migrated[nameof(ProxyNcaOptions.CpIncludePositive).ToCamel()] = include.DeepClone();
        foreach (var field in SectionFields)
            if (section[field] is { } value) migrated[field] = value.DeepClone();
        if (section["confidence"] is { } confidence && LossRegistry.Default.Names.Contains(kind) && LossRegistry.Default.Get(kind).NeedsConfidences)
            migrated["confidence"] = confidence.DeepClone();
        return migrated;
    }

    private static string ToCamel(this string name) => JsonNamingPolicy.CamelCase.ConvertName(name);
}
