using ResearchKit.Metrics;
using ResearchKit.Notebooks.Formatting;

namespace ResearchKit.Notebooks.Tests;

/// <summary>Retrieval results as DataFrame rows (moved out of the core with the DataFrame dependency).</summary>
public class RetrievalResultFramesTests
{
    private static RetrievalResult Sample(double? nmi = 0.875) => new()
    {
        PrecisionAt1 = 0.55, RPrecision = 0.4357142857142857, MapAtR = 0.30424935137813924,
        RecallAt = new Dictionary<int, double> { [8] = 0.975, [1] = 0.55, [2] = 0.75 },
        Nmi = nmi, QueryCount = 40, ScoredQueryCount = 38, ReferenceCount = 40, QueryIsReference = true,
    };

    [Fact]
    public void Converts_to_a_dataframe_row_and_appends()
    {
        var frame = Sample().ToDataFrame();
        Assert.Equal(1, frame.Rows.Count);
        Assert.Equal(0.55, (double)frame["precision_at_1"][0]);
        Assert.Equal(0.975, (double)frame["recall_at_8"][0]);
        Assert.Equal(38L, (long)frame["num_queries_in_pml_metrics"][0]);
        frame.Append(Sample(nmi: null).ToDataFrameRow(), inPlace: true);
        Assert.Equal(2, frame.Rows.Count);
        Assert.Null(frame["NMI"][1]);
        Assert.Equal(0.4357142857142857, (double)frame["r_precision"][1]);
    }

    [Fact]
    public void Dataframe_of_several_results_unions_the_recall_columns()
    {
        var other = Sample() with { RecallAt = new Dictionary<int, double> { [1] = 0.5, [1000] = 0.99 } };
        var frame = RetrievalResultFrames.ToDataFrame([Sample(), other]);
        Assert.Equal(2, frame.Rows.Count);
        Assert.Null(frame["recall_at_1000"][0]);
        Assert.Equal(0.99, (double)frame["recall_at_1000"][1]);
        Assert.Null(frame["recall_at_2"][1]);
    }

    [Fact]
    public void Columns_are_the_metric_keys_then_the_counts()
    {
        var frame = Sample().ToDataFrame();
        Assert.Equal(["recall_at_1", "recall_at_2", "recall_at_8", "precision_at_1", "r_precision", "mean_average_precision_at_r", "NMI",
            "num_queries", "num_queries_in_pml_metrics", "num_references", "query_is_reference"], frame.Columns.Select(c => c.Name));
        Assert.Equal(frame.Columns.Select(c => c.Name), Sample().ToDataFrameRow().Select(p => p.Key));
    }
}
