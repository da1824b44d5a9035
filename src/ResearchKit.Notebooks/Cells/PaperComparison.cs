using System.Globalization;
using Microsoft.Data.Analysis;
using Plotly.NET;
using ResearchKit.Notebooks.Charts;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Notebooks.Cells;

/// <summary>
/// Our experiment tables beside the paper's numbers, as the ablation notebooks show them: metric names, a comparison table
/// and grouped bars. Notebooks import it with <c>using static</c> (notebooks/researchkit.dib).
/// </summary>
public static class PaperComparison
{
    /// <summary>Run metric names of the kit (the tables show them in %).</summary>
    public const string R1 = "recall_at_1", R2 = "recall_at_2", R4 = "recall_at_4", R8 = "recall_at_8",
        MapR = "mean_average_precision_at_r", P1 = "precision_at_1";

    /// <summary>The short column name of a run metric: R@1, MAP@R, P@1; other names unchanged.</summary>
    public static string ShortMetric(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return metric.Replace("recall_at_", "R@", StringComparison.Ordinal)
            .Replace(MapR, "MAP@R", StringComparison.Ordinal).Replace(P1, "P@1", StringComparison.Ordinal);
    }

    /// <summary>
    /// One row per (data set, variant) with our mean ± sd (%) of each of <paramref name="metrics"/>, and the paper's value
    /// for the same variant on CUB and Cars (on a profile with paper numbers: for the row's own data set).
    /// <paramref name="paperVariant"/> maps our variant names to the paper's where they differ.
    /// </summary>
    public static DataFrame CompareWithPaper(ExperimentTable table, IReadOnlyList<string> metrics, Func<string, string>? paperVariant = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(metrics);
        paperVariant ??= v => v;
        var f = table.Frame;
        var rows = Enumerable.Range(0, (int)f.Rows.Count).ToList();
        string Variant(int r) => (string)f["variant"][r];
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("data set", rows.Select(r => (string)f["dataset"][r])),
            new StringDataFrameColumn("variant", rows.Select(Variant)),
            new Int32DataFrameColumn("seeds", rows.Select(r => (int?)f["seeds"][r])),
        };
        foreach (var m in metrics)
        {
            columns.Add(new StringDataFrameColumn($"ours {ShortMetric(m)}", rows.Select(r => MeanSd(
                (double?)f[m + ExperimentTable.MeanSuffix][r], (double?)f[m + ExperimentTable.SdSuffix][r]))));
            var paperSets = table.Profile.HasPaperNumbers ? new[] { "" } : ["cub", "cars"];
            foreach (var ds in paperSets)
            {
                var paper = rows.Select(r => table.Experiment.Paper.Get(ds == "" ? (string)f["dataset"][r] : ds, paperVariant(Variant(r)), m)).ToList();
                if (paper.Any(v => v is not null)) // the paper reports this metric for some row
                    columns.Add(new DoubleDataFrameColumn(ds == "" ? $"paper {ShortMetric(m)}" : $"paper {ds.ToUpperInvariant()} {ShortMetric(m)}", paper));
            }
        }
        return new DataFrame(columns);
    }

    /// <summary>"mean ± sd" with one decimal; "–" without a mean.</summary>
    internal static string MeanSd(double? mean, double? sd) =>
        mean is null ? "–"
        : mean.Value.ToString("F1", CultureInfo.InvariantCulture) + (sd is null ? "" : " ± " + sd.Value.ToString("F1", CultureInfo.InvariantCulture));

    /// <summary>
    /// Grouped bars of <paramref name="metric"/>: our variants on the profile's data set, then the paper's CUB and Cars numbers
    /// for the same variants (different data sets: compare the ordering of the bars, not their heights).
    /// </summary>
    public static GenericChart OursVersusPaperBars(ExperimentTable table, string metric, string title, Func<string, string>? label = null,
        Func<string, string>? paperVariant = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        label ??= v => v;
        paperVariant ??= v => v;
        var bars = new List<AblationBar>();
        var f = table.Frame;
        for (int r = 0; r < f.Rows.Count; r++)
        {
            var variant = (string)f["variant"][r];
            if ((double?)f[metric + ExperimentTable.MeanSuffix][r] is { } mean)
                bars.Add(new AblationBar($"{f["dataset"][r]} (ours, {table.Profile.Name})", label(variant), mean / 100,
                    ((double?)f[metric + ExperimentTable.SdSuffix][r] ?? 0) / 100));
            if (table.Profile.HasPaperNumbers) continue;
            foreach (var ds in new[] { "cub", "cars" })
                if (table.Experiment.Paper.Get(ds, paperVariant(variant), metric) is { } paper)
                    bars.Add(new AblationBar($"{ds.ToUpperInvariant()} (paper)", label(variant), paper / 100));
        }
        return KitCharts.AblationBars(bars.DistinctBy(b => (b.Group, b.Variant)), metric: ShortMetric(metric), title: title);
    }
}
