using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Analysis;

namespace ResearchKit.Metrics;

/// <summary>
/// Retrieval metrics of one evaluation, named as in pytorch-metric-learning's AccuracyCalculator
/// (precision_at_1, r_precision, mean_average_precision_at_r, NMI) plus the DML papers' Recall@k.
/// Prints as one line, converts to a DataFrame row, and round-trips through JSON.
/// </summary>
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
    /// <summary>Number of references.</summary>
    public required long ReferenceCount { get; init; }
    /// <summary>True when the queries were their own references (each excluded from its own list).</summary>
    public required bool QueryIsReference { get; init; }

    /// <summary>Queries without any relevant reference.</summary>
    public long LoneQueryCount => QueryCount - ScoredQueryCount;

    /// <summary>Column names used by <see cref="ToDataFrameRow"/> and JSON (PML's names; recall_at_{k}).</summary>
    public static class Names
    {
        /// <summary>P@1.</summary>
        public const string PrecisionAt1 = "precision_at_1";
        /// <summary>R-Precision.</summary>
        public const string RPrecision = "r_precision";
        /// <summary>MAP@R.</summary>
        public const string MapAtR = "mean_average_precision_at_r";
        /// <summary>NMI.</summary>
        public const string Nmi = "NMI";
        /// <summary>Prefix of the Recall@k columns.</summary>
        public const string RecallPrefix = "recall_at_";
        /// <summary>Number of queries.</summary>
        public const string QueryCount = "num_queries";
        /// <summary>Number of non-lone queries.</summary>
        public const string ScoredQueryCount = "num_queries_in_pml_metrics";
        /// <summary>Number of references.</summary>
        public const string ReferenceCount = "num_references";
        /// <summary>Same-set flag.</summary>
        public const string QueryIsReference = "query_is_reference";
    }

    /// <summary>One line: the metrics as percentages (two decimals), then the counts.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var (k, v) in RecallAt.OrderBy(p => p.Key)) sb.Append(c, $"R@{k} {100 * v:F2}  ");
        sb.Append(c, $"P@1 {100 * PrecisionAt1:F2}  R-Prec {100 * RPrecision:F2}  MAP@R {100 * MapAtR:F2}");
        if (Nmi is { } nmi) sb.Append(c, $"  NMI {100 * nmi:F2}");
        sb.Append(c, $"  ({QueryCount} queries, {LoneQueryCount} lone, {ReferenceCount} references{(QueryIsReference ? ", same set" : "")})");
        return sb.ToString();
    }

    /// <summary>The values as (column, value) pairs, for <c>DataFrame.Append(row, inPlace: true)</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> ToDataFrameRow()
    {
        var row = new List<KeyValuePair<string, object?>>();
        foreach (var (k, v) in RecallAt.OrderBy(p => p.Key)) row.Add(new(Names.RecallPrefix + k.ToString(CultureInfo.InvariantCulture), v));
        row.Add(new(Names.PrecisionAt1, PrecisionAt1));
        row.Add(new(Names.RPrecision, RPrecision));
        row.Add(new(Names.MapAtR, MapAtR));
        row.Add(new(Names.Nmi, Nmi));
        row.Add(new(Names.QueryCount, QueryCount));
        row.Add(new(Names.ScoredQueryCount, ScoredQueryCount));
        row.Add(new(Names.ReferenceCount, ReferenceCount));
        row.Add(new(Names.QueryIsReference, QueryIsReference));
        return row;
    }

    /// <summary>A one-row DataFrame with the columns of <see cref="ToDataFrameRow"/>.</summary>
    public DataFrame ToDataFrame() => ToDataFrame([this]);

    /// <summary>One row per result; Recall@k columns are the union of all results' k (missing values are null).</summary>
    public static DataFrame ToDataFrame(IEnumerable<RetrievalResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        var ks = list.SelectMany(r => r.RecallAt.Keys).Distinct().Order().ToList();
        var columns = new List<DataFrameColumn>();
        foreach (var k in ks)
            columns.Add(new DoubleDataFrameColumn(Names.RecallPrefix + k.ToString(CultureInfo.InvariantCulture),
                list.Select(r => r.RecallAt.TryGetValue(k, out var v) ? v : (double?)null)));
        columns.Add(new DoubleDataFrameColumn(Names.PrecisionAt1, list.Select(r => (double?)r.PrecisionAt1)));
        columns.Add(new DoubleDataFrameColumn(Names.RPrecision, list.Select(r => (double?)r.RPrecision)));
        columns.Add(new DoubleDataFrameColumn(Names.MapAtR, list.Select(r => (double?)r.MapAtR)));
        columns.Add(new DoubleDataFrameColumn(Names.Nmi, list.Select(r => r.Nmi)));
        columns.Add(new Int64DataFrameColumn(Names.QueryCount, list.Select(r => (long?)r.QueryCount)));
        columns.Add(new Int64DataFrameColumn(Names.ScoredQueryCount, list.Select(r => (long?)r.ScoredQueryCount)));
        columns.Add(new Int64DataFrameColumn(Names.ReferenceCount, list.Select(r => (long?)r.ReferenceCount)));
        columns.Add(new BooleanDataFrameColumn(Names.QueryIsReference, list.Select(r => (bool?)r.QueryIsReference)));
        return new DataFrame(columns);
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
            WriteNumber(w, Names.PrecisionAt1, PrecisionAt1);
            WriteNumber(w, Names.RPrecision, RPrecision);
            WriteNumber(w, Names.MapAtR, MapAtR);
            w.WriteStartObject("recall_at_k");
            foreach (var (k, v) in RecallAt.OrderBy(p => p.Key)) WriteNumber(w, k.ToString(CultureInfo.InvariantCulture), v);
            w.WriteEndObject();
            if (Nmi is { } nmi) WriteNumber(w, Names.Nmi, nmi); else w.WriteNull(Names.Nmi);
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
            var nmi = root.GetProperty(Names.Nmi);
            return new RetrievalResult
            {
                PrecisionAt1 = ReadNumber(root.GetProperty(Names.PrecisionAt1)),
                RPrecision = ReadNumber(root.GetProperty(Names.RPrecision)),
                MapAtR = ReadNumber(root.GetProperty(Names.MapAtR)),
                RecallAt = root.GetProperty("recall_at_k").EnumerateObject()
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
