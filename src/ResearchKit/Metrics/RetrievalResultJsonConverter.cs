using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResearchKit.Metrics;

/// <summary>
/// Writes and reads a <see cref="RetrievalResult"/> inside any JSON document (e.g. a run's result) in the one format of
/// <see cref="RetrievalResult.ToJson"/>, whatever the serializer's naming policy.
/// </summary>
public sealed class RetrievalResultJsonConverter : JsonConverter<RetrievalResult>
{
    /// <inheritdoc/>
    public override RetrievalResult Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        try { return RetrievalResult.FromJson(doc.RootElement.GetRawText()); }
        catch (ArgumentException e) { throw new JsonException(e.Message, e); }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, RetrievalResult value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteRawValue(value.ToJson());
    }
}
