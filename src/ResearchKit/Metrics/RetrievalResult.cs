using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ResearchKit.Metrics;

/// <summary>
/// Retrieval metrics of one evaluation, named as in pytorch-metric-learning's AccuracyCalculator
/// (precision_at_1, r_precision, mean_average_precision_at_r, NMI) plus the DML papers' Recall@k; their keys, labels and
/// scale are <see cref="RetrievalMetrics"/>. Prints as one line and round-trips through JSON.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(RetrievalResultJsonConverter))]
public sealed record RetrievalResult
{
    /// <summary>P@1 over queries with at least one relevant reference (lone queries excluded; NaN if all are lone).</summary>
    public required double PrecisionAt1 { get; init; }
    /// <summary>R-Precision, micro-averaged over non-lone queries.</summary>
    public required double RPrecision { get; init; }
    /// <summary>MAP@R, micro-averaged over non-lone queries.</summary>
    public required double MapAtR { get; init; }
    /// <summary>Recall@k (hit rate over all queries, lone queries count as misses), by k ascending.</summary>
    public required IReadOnlyDictionary<int, double> RecallAt { get; init; }
    /// <summary>NMI (arithmetic mean) of k-means clusters against labels, when requested.</summary>
    public double? Nmi { get; init; }
    /// <summary>Number of queries (the denominator of Recall@k).</summary>
    public required long QueryCount { get; init; }
    /// <summary>Queries with R ≥ 1 (the denominator of P@1, R-Precision, MAP@R).</summary>
    public required long ScoredQueryCount { get; init; }
    /// <summary>Number of references the queries were ranked against (a query excluded from its own list when <see cref="QueryIsReference"/>).</summary>
    public required long ReferenceCount { get; init; }
    /// <summary>True when the queries were their own references (each excluded from its own list).</summary>
    public required bool QueryIsReference { get; init; }

    // The JSON object of Recall@k by k (PML has no such object; the name keeps its recall_at_ spelling).
    private const string RecallAtKey = "recall_at_k";

    /// <summary>Queries without any relevant reference.</summary>
    public long LoneQueryCount => QueryCount - ScoredQueryCount;

    /// <summary>JSON keys of the counts (PML's names); the metrics' keys are <see cref="RetrievalMetrics"/>'.</summary>
    public static class Names
    {
        /// <summary>Key of <see cref="QueryCount"/>.</summary>
        public const string QueryCount = "num_queries";
        /// <summary>Key of <see cref="ScoredQueryCount"/>.</summary>
        public const string ScoredQueryCount = "num_queries_in_pml_metrics";
        /// <summary>Key of <see cref="ReferenceCount"/>.</summary>
        public const string ReferenceCount = "num_references";
        /// <summary>Key of <see cref="QueryIsReference"/>.</summary>
        public const string QueryIsReference = "query_is_reference";
    }

    /// <summary>One line: each metric's label and value as a percentage (two decimals), then the counts.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendJoin("  ", RetrievalMetrics.Values(this).Select(m => string.Create(c, $"{m.Metric.Label} {m.Metric.Shown(m.Value):F2}")));
        sb.Append(c, $"  ({QueryCount} queries, {LoneQueryCount} lone, {ReferenceCount} references{(QueryIsReference ? ", same set" : "")})");
        return sb.ToString();
    }

    /// <summary>
    /// JSON object with PML's metric names, <c>recall_at_k</c> as an object keyed by k, and the counts.
    /// NaN (every query lone) is written as the string "NaN".
    /// </summary>
    public string ToJson(bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            WriteNumber(w, RetrievalMetrics.PrecisionAt1.Key, PrecisionAt1);
            WriteNumber(w, RetrievalMetrics.RPrecision.Key, RPrecision);
            WriteNumber(w, RetrievalMetrics.MapAtR.Key, MapAtR);
            w.WriteStartObject(RecallAtKey);
            foreach (var (k, v) in RecallAt.OrderBy(p => p.Key)) WriteNumber(w, k.ToString(CultureInfo.InvariantCulture), v);
            w.WriteEndObject();
            if (Nmi is { } nmi) WriteNumber(w, RetrievalMetrics.Nmi.Key, nmi); else w.WriteNull(RetrievalMetrics.Nmi.Key);
            w.WriteNumber(Names.QueryCount, QueryCount);
            w.WriteNumber(Names.ScoredQueryCount, ScoredQueryCount);
            w.WriteNumber(Names.ReferenceCount, ReferenceCount);
            w.WriteBoolean(Names.QueryIsReference, QueryIsReference);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Parses the output of <see cref="ToJson"/>.</summary>
    public static RetrievalResult FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        try
        {
            var nmi = root.GetProperty(RetrievalMetrics.Nmi.Key);
            return new RetrievalResult
            {
                PrecisionAt1 = ReadNumber(root.GetProperty(RetrievalMetrics.PrecisionAt1.Key)),
                RPrecision = ReadNumber(root.GetProperty(RetrievalMetrics.RPrecision.Key)),
                MapAtR = ReadNumber(root.GetProperty(RetrievalMetrics.MapAtR.Key)),
                RecallAt = root.GetProperty(RecallAtKey).EnumerateObject()
                    .ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => ReadNumber(p.Value)),
                Nmi = nmi.ValueKind == JsonValueKind.Null ? null : ReadNumber(nmi),
                QueryCount = root.GetProperty(Names.QueryCount).GetInt64(),
                ScoredQueryCount = root.GetProperty(Names.ScoredQueryCount).GetInt64(),
                ReferenceCount = root.GetProperty(Names.ReferenceCount).GetInt64(),
                QueryIsReference = root.GetProperty(Names.QueryIsReference).GetBoolean(),
            };
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException("expected a JSON object written by RetrievalResult.ToJson: " + e.Message, nameof(json), e);
        }
    }

    /// <summary>Field-wise equality (the record's default would compare the dictionary by reference).</summary>
    public bool Equals(RetrievalResult? other) =>
        other is not null && SameNumber(PrecisionAt1, other.PrecisionAt1) && SameNumber(RPrecision, other.RPrecision)
        && SameNumber(MapAtR, other.MapAtR) && Nullable.Equals(Nmi, other.Nmi)
        && QueryCount == other.QueryCount && ScoredQueryCount == other.ScoredQueryCount
        && ReferenceCount == other.ReferenceCount && QueryIsReference == other.QueryIsReference
        && RecallAt.Count == other.RecallAt.Count
        && RecallAt.All(p => other.RecallAt.TryGetValue(p.Key, out var v) && SameNumber(p.Value, v));

    /// <summary>Hash of the scalar fields.</summary>
    public override int GetHashCode() => HashCode.Combine(PrecisionAt1, RPrecision, MapAtR, Nmi, QueryCount, ScoredQueryCount, RecallAt.Count);

    private static bool SameNumber(double a, double b) => a.Equals(b); // NaN equals NaN here

    private static void WriteNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
    }

    private static double ReadNumber(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble();
}
