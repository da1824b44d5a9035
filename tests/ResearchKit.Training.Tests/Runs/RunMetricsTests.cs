using System.Text.Json;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Runs;

/// <summary>The run's metric table and the typed result a run writes.</summary>
public class RunMetricsTests
{
    private static readonly RetrievalResult Evaluation = new()
    {
        PrecisionAt1 = 0.5, RPrecision = 0.4, MapAtR = 0.3, RecallAt = new Dictionary<int, double> { [1] = 0.5, [2] = 0.7 },
        QueryCount = 10, ScoredQueryCount = 10, ReferenceCount = 10, QueryIsReference = true,
    };

    [Fact]
    public void Trainer_and_retrieval_keys_resolve_and_an_unknown_key_lists_the_known_ones()
    {
        Assert.Same(RunMetrics.Deviation, RunMetrics.Get("deviation"));
        Assert.Same(RetrievalMetrics.RecallAt(4), RunMetrics.Get("recall_at_4"));
        Assert.False(RunMetrics.Deviation.HigherIsBetter);
        Assert.False(RunMetrics.Deviation.IsPercent);
        Assert.Null(RunMetrics.Find("confidence_top1"));
        var e = Assert.Throws<ArgumentException>(() => RunMetrics.Get("R@1"));
        Assert.Equal("key", e.ParamName);
        Assert.Contains("unknown metric 'R@1'; expected one of loss, lr, deviation, deviation_pairwise, recall_at_<k>, precision_at_1", e.Message);
    }

    [Fact]
    public void A_result_keeps_its_evaluation_typed_through_json()
    {
        var row = RetrievalMetrics.Values(Evaluation).ToDictionary(v => v.Metric.Key, v => v.Value);
        row[RunMetrics.Loss.Key] = 1.5;
        var result = new TrainingResult("run", true, 3, 30, row, TrainingTimings.Zero) { Retrieval = Evaluation };

        var back = JsonSerializer.Deserialize<TrainingResult>(JsonSerializer.Serialize(result, TrainingConfigJson.Options), TrainingConfigJson.Options)!;

        Assert.Equal(Evaluation, back.Retrieval);
        Assert.Equal(0.7, back.Value(RetrievalMetrics.RecallAt(2)));
        Assert.Equal(1.5, back.Value(RunMetrics.Loss));
        Assert.Null(back.Value(RunMetrics.Deviation));
    }

    [Fact]
    public void A_result_written_before_the_typed_evaluation_reads_its_metrics_by_key()
    {
        // result.json as the trainer wrote it before `retrieval` existed: the final metric row only.
        const string old = """
            { "runDirectory": "run", "completed": true, "epochsCompleted": 3, "steps": 30,
              "finalMetrics": { "loss": 1.5, "recall_at_1": 0.5, "mean_average_precision_at_r": 0.3 },
              "timings": { "data": 0, "forward": 0, "backward": 0, "evaluation": 0, "deviation": 0, "checkpoint": 0, "trainImages": 0 } }
            """;
        var result = JsonSerializer.Deserialize<TrainingResult>(old, TrainingConfigJson.Options)!;
        Assert.Null(result.Retrieval);
        Assert.Equal(0.3, result.Value(RetrievalMetrics.MapAtR));
        Assert.Null(result.Value(RetrievalMetrics.RecallAt(2)));
    }
}
