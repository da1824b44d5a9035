using Microsoft.Data.Analysis;
using Plotly.NET;
using ResearchKit.Metrics;
using ResearchKit.Notebooks.Charts;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Notebooks.Cells;

/// <summary>
/// Our experiment tables beside the paper's numbers, as the ablation notebooks show them: the metrics they name, a comparison
/// table and grouped bars. Notebooks import it with <c>using static</c> (notebooks/researchkit.dib).
/// </summary>
public static class PaperComparison
{
    /// <summary>The metrics the notebooks compare (definitions from <see cref="RetrievalMetrics"/>; shown in %).</summary>
    public static readonly MetricDefinition R1 = RetrievalMetrics.RecallAt(1), R2 = RetrievalMetrics.RecallAt(2), R4 = RetrievalMetrics.RecallAt(4),
        R8 = RetrievalMetrics.RecallAt(8), MapR = RetrievalMetrics.MapAtR, P1 = RetrievalMetrics.PrecisionAt1;

    /// <summary>
    /// One row per (data set, variant) with our mean ± sd of each of <paramref name="metrics"/>, and the paper's value for the
    /// same variant on CUB and Cars (on a profile with paper numbers: for the row's own data set).
    /// <paramref name="paperVariant"/> maps our variants to the paper's where they differ.
    /// </summary>
    public static DataFrame CompareWithPaper(ExperimentTable table, IReadOnlyList<MetricDefinition> metrics,
        Func<ExperimentVariant, ExperimentVariant>? paperVariant = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(metrics);
        paperVariant ??= v => v;
        var f = table.Frame;
        var rows = Enumerable.Range(0, (int)f.Rows.Count).ToList();
        ExperimentVariant Variant(int r) => table.Experiment.Variant((string)f["variant"][r]);
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("data set", rows.Select(r => (string)f["dataset"][r])),
            new StringDataFrameColumn("variant", rows.Select(r => Variant(r).Name)),
            new Int32DataFrameColumn("seeds", rows.Select(r => (int?)f["seeds"][r])),
        };
        foreach (var m in metrics)
        {
            columns.Add(new StringDataFrameColumn($"ours {m.Label}", rows.Select(r => m.FormatMeanSd(
                (double?)f[ExperimentTable.MeanColumn(m)][r], (double?)f[ExperimentTable.SdColumn(m)][r]))));
            var paperSets = table.Profile.HasPaperNumbers ? new[] { "" } : ["cub", "cars"];
            foreach (var ds in paperSets)
            {
                var paper = rows.Select(r => table.Experiment.Paper.Get(ds == "" ? (string)f["dataset"][r] : ds, paperVariant(Variant(r)), m)).ToList();
                if (paper.Any(v => v is not null)) // the paper reports this metric for some row
                    columns.Add(new DoubleDataFrameColumn(ds == "" ? $"paper {m.Label}" : $"paper {ds.ToUpperInvariant()} {m.Label}", paper));
            }
        }
        return new DataFrame(columns);
    }

    /// <summary>
    /// Grouped bars of <paramref name="metric"/>: our variants on the profile's data set, then the paper's CUB and Cars numbers
    /// for the same variants (different data sets: compare the ordering of the bars, not their heights).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="metric"/> is not a percentage (the bars' axis is in %).</exception>
    public static GenericChart OursVersusPaperBars(ExperimentTable table, MetricDefinition metric, string title, Func<string, string>? label = null,
        Func<ExperimentVariant, ExperimentVariant>? paperVariant = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(metric);
        if (!metric.IsPercent) throw new ArgumentException($"the bars show percentages; {metric.Label} is shown as stored (use a line chart).", nameof(metric));
        label ??= v => v;
        paperVariant ??= v => v;
        var bars = new List<AblationBar>();
        var f = table.Frame;
        for (int r = 0; r < f.Rows.Count; r++)
        {
            var variant = table.Experiment.Variant((string)f["variant"][r]);
            // The bars take stored values (fractions) and show them in %: the table's shown means are divided by the scale.
            if ((double?)f[ExperimentTable.MeanColumn(metric)][r] is { } mean)
                bars.Add(new AblationBar($"{f["dataset"][r]} (ours, {table.Profile.Name})", label(variant.Name), mean / metric.Scale,
                    ((double?)f[ExperimentTable.SdColumn(metric)][r] ?? 0) / metric.Scale));
            if (table.Profile.HasPaperNumbers) continue;
            foreach (var ds in new[] { "cub", "cars" })
                if (table.Experiment.Paper.Get(ds, paperVariant(variant), metric) is { } paper)
                    bars.Add(new AblationBar($"{ds.ToUpperInvariant()} (paper)", label(variant.Name), paper / metric.Scale));
        }
        return KitCharts.AblationBars(bars.DistinctBy(b => (b.Group, b.Variant)), metric: metric.Label, title: title);
    }
}
