using Microsoft.Data.Analysis;
using ResearchKit.Metrics;

namespace ResearchKit.Notebooks.Formatting;

/// <summary>
/// <see cref="RetrievalResult"/>s as DataFrames, columns named by <see cref="RetrievalMetrics"/> keys (values as stored,
/// fractions) followed by the counts. Lives beside the notebook formatters so that the core needs no DataFrame library.
/// </summary>
public static class RetrievalResultFrames
{
    /// <summary>The values as (column, value) pairs, for <c>DataFrame.Append(row, inPlace: true)</c>; NMI is null when not computed.</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> ToDataFrameRow(this RetrievalResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var row = RetrievalMetrics.Values(result).Where(m => !m.Metric.Equals(RetrievalMetrics.Nmi))
            .Select(m => new KeyValuePair<string, object?>(m.Metric.Key, m.Value)).ToList();
        row.Add(new(RetrievalMetrics.Nmi.Key, result.Nmi));
        row.Add(new(RetrievalResult.Names.QueryCount, result.QueryCount));
        row.Add(new(RetrievalResult.Names.ScoredQueryCount, result.ScoredQueryCount));
        row.Add(new(RetrievalResult.Names.ReferenceCount, result.ReferenceCount));
        row.Add(new(RetrievalResult.Names.QueryIsReference, result.QueryIsReference));
        return row;
    }

    /// <summary>A one-row DataFrame with the columns of <see cref="ToDataFrameRow"/>.</summary>
    public static DataFrame ToDataFrame(this RetrievalResult result) => ToDataFrame([result]);

    /// <summary>One row per result; the Recall@k columns are the union of all results' k (missing values are null).</summary>
    public static DataFrame ToDataFrame(IEnumerable<RetrievalResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        var ks = list.SelectMany(r => r.RecallAt.Keys).Distinct().Order().ToList();
        var columns = new List<DataFrameColumn>();
        foreach (var k in ks)
            columns.Add(new DoubleDataFrameColumn(RetrievalMetrics.RecallAt(k).Key, list.Select(r => r.RecallAt.TryGetValue(k, out var v) ? v : (double?)null)));
        foreach (var metric in new[] { RetrievalMetrics.PrecisionAt1, RetrievalMetrics.RPrecision, RetrievalMetrics.MapAtR, RetrievalMetrics.Nmi })
            columns.Add(new DoubleDataFrameColumn(metric.Key, list.Select(r => RetrievalMetrics.Read(r, metric))));
        columns.Add(new Int64DataFrameColumn(RetrievalResult.Names.QueryCount, list.Select(r => (long?)r.QueryCount)));
        columns.Add(new Int64DataFrameColumn(RetrievalResult.Names.ScoredQueryCount, list.Select(r => (long?)r.ScoredQueryCount)));
        columns.Add(new Int64DataFrameColumn(RetrievalResult.Names.ReferenceCount, list.Select(r => (long?)r.ReferenceCount)));
        columns.Add(new BooleanDataFrameColumn(RetrievalResult.Names.QueryIsReference, list.Select(r => (bool?)r.QueryIsReference)));
        return new DataFrame(columns);
    }
}
