using System.Text.Json;
using ResearchKit.Metrics;
using ResearchKit.Tests.Golden;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>retrieval_metrics.json: PML metrics, Recall@k and knn_indices, in float64 and float32, one and many blocks.</summary>
public class RetrievalGoldenTests
{
    private const string File = "retrieval_metrics.json";

    public static TheoryData<string, string, int> CasesDtypesChunks()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var c in GoldenData.Load(File).Cases)
            foreach (var dtype in new[] { "float64", "float32" })
                foreach (var chunk in new[] { 0, 3, 7 }) // 0 = the automatic default (one block for these sizes)
                    data.Add(c.Name, dtype, chunk);
        return data;
    }

    internal sealed record GoldenInputs(Tensor Queries, Tensor QueryLabels, Tensor? References, Tensor? ReferenceLabels);

    internal static GoldenInputs Inputs(GoldenCase c, ScalarType dtype)
    {
        var inputs = c.Inputs;
        var q = GoldenJson.Tensor(inputs.GetProperty("query_embeddings"), dtype);
        var ql = GoldenJson.Labels(inputs.GetProperty("query_labels"));
        if (c.HBool("query_is_reference")) return new GoldenInputs(q, ql, null, null);
        return new GoldenInputs(q, ql, GoldenJson.Tensor(inputs.GetProperty("reference_embeddings"), dtype),
            GoldenJson.Labels(inputs.GetProperty("reference_labels")));
    }

    internal static int[] RecallKs(GoldenCase c) => c.Hyper.GetProperty("recall_ks").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    internal static RetrievalEvaluation Evaluate(GoldenInputs x, RetrievalOptions options) =>
        x.References is null
            ? RetrievalEvaluator.EvaluateWithNeighbours(x.Queries, x.QueryLabels, options)
            : RetrievalEvaluator.EvaluateWithNeighbours(x.Queries, x.QueryLabels, x.References, x.ReferenceLabels!, options);

    private static void AssertMetric(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12, $"{what}: got {actual:R}, expected {expected:R}");

    [Theory]
    [MemberData(nameof(CasesDtypesChunks))]
    public void Metrics_and_neighbours_match_golden(string name, string dtypeName, int chunk)
    {
        using var scope = torch.NewDisposeScope();
        var c = GoldenData.Load(File).Case(name);
        var dtype = GoldenData.ParseDtype(dtypeName);
        var expected = c.Expected;
        var knn = expected.GetProperty("knn_indices");
        int width = knn[0].GetArrayLength();
        var options = new RetrievalOptions { RecallKs = RecallKs(c), NeighbourCount = width, ChunkSize = chunk == 0 ? null : chunk };
        using var evaluation = Evaluate(Inputs(c, dtype), options);
        var result = evaluation.Result;

        AssertMetric(expected.GetProperty("precision_at_1").GetDouble(), result.PrecisionAt1, "precision_at_1");
        AssertMetric(expected.GetProperty("r_precision").GetDouble(), result.RPrecision, "r_precision");
        AssertMetric(expected.GetProperty("mean_average_precision_at_r").GetDouble(), result.MapAtR, "mean_average_precision_at_r");
        foreach (var p in expected.GetProperty("recall_at_k").EnumerateObject())
            AssertMetric(p.Value.GetDouble(), result.RecallAt[int.Parse(p.Name)], "recall_at_" + p.Name);
        Assert.Equal(expected.GetProperty("num_queries_in_pml_metrics").GetInt64(), result.ScoredQueryCount);
        var lone = expected.GetProperty("lone_query_indices").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(lone, evaluation.LoneQueryIndices);
        Assert.Equal(lone.Length, result.LoneQueryCount);

        var (values, shape) = GoldenJson.Flatten(knn);
        var indices = evaluation.Neighbours.Indices;
        Assert.Equal(shape, indices.shape);
        var actual = indices.contiguous().data<long>().ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.True((long)values[i] == actual[i],
                $"knn_indices row {i / width} col {i % width}: got {actual[i]}, expected {(long)values[i]}");
    }

    [Theory]
    [MemberData(nameof(CasesDtypesChunks))]
    public void Counted_ranks_give_the_golden_recall(string name, string dtypeName, int chunk)
    {
        // Ranks from "negatives above the best positive" (the path for k beyond the lists), including exact ties.
        using var scope = torch.NewDisposeScope();
        var c = GoldenData.Load(File).Case(name);
        var options = new RetrievalOptions
        {
            RecallKs = RecallKs(c), ChunkSize = chunk == 0 ? null : chunk, RanksFromCountsOnly = true,
        };
        using var evaluation = Evaluate(Inputs(c, GoldenData.ParseDtype(dtypeName)), options);
        foreach (var p in c.Expected.GetProperty("recall_at_k").EnumerateObject())
            AssertMetric(p.Value.GetDouble(), evaluation.Result.RecallAt[int.Parse(p.Name)], "recall_at_" + p.Name);
    }

    public static TheoryData<string> CasesWithoutLoneQueries()
    {
        var data = new TheoryData<string>();
        foreach (var c in GoldenData.Load(File).Cases)
            if (c.Expected.GetProperty("lone_query_indices").GetArrayLength() == 0) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesWithoutLoneQueries))]
    public void Recall_at_1_equals_precision_at_1_without_lone_queries(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = GoldenData.Load(File).Case(name);
        var result = Evaluate(Inputs(c, ScalarType.Float32), new RetrievalOptions { RecallKs = [1] }).Result;
        Assert.Equal(result.PrecisionAt1, result.RecallAt[1]);
        Assert.Equal(result.QueryCount, result.ScoredQueryCount);
    }

    [Fact]
    public void Lone_queries_are_excluded_from_pml_metrics_and_missed_by_recall()
    {
        using var scope = torch.NewDisposeScope();
        var c = GoldenData.Load(File).Case("same_set_with_singleton_classes");
        using var evaluation = Evaluate(Inputs(c, ScalarType.Float64), new RetrievalOptions());
        var result = evaluation.Result;
        var lone = c.Expected.GetProperty("lone_query_indices").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.NotEmpty(lone);
        Assert.Equal(lone, evaluation.LoneQueryIndices);
        Assert.Equal(lone.Length, result.LoneQueryCount);
        Assert.True(result.RecallAt[1] < result.PrecisionAt1);
    }
}
