using ResearchKit.Metrics;
using ResearchKit.Metrics.Knn;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>Bad input gives an ArgumentException naming the argument.</summary>
public class RetrievalInputValidationTests
{
    private static Tensor Emb(long n, long d = 4) => torch.randn(n, d, generator: new torch.Generator(1));
    private static Tensor Lab(long n) => torch.arange(n).remainder(3);

    private static void Throws(string param, Action action)
    {
        var e = Assert.ThrowsAny<ArgumentException>(action);
        Assert.Equal(param, e.ParamName);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void Mismatched_dims_name_the_references()
    {
        using var scope = torch.NewDisposeScope();
        Throws("references", () => RetrievalEvaluator.Evaluate(Emb(5, 4), Lab(5), Emb(6, 3), Lab(6)));
        Throws("references", () => ExactCosineKnn.Search(Emb(5, 4), Emb(6, 3), 2));
        Throws("references", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), Emb(6).to_type(ScalarType.Float64), Lab(6)));
    }

    [Fact]
    public void Label_count_mismatch_names_the_labels()
    {
        using var scope = torch.NewDisposeScope();
        Throws("labels", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(4)));
        Throws("queryLabels", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(6), Emb(6), Lab(6)));
        Throws("referenceLabels", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), Emb(6), Lab(5)));
        Throws("labels", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5).unsqueeze(0)));
        Throws("labels", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5).to_type(ScalarType.Float32)));
    }

    [Fact]
    public void Non_positive_scan_workers_are_rejected()
    {
        using var scope = torch.NewDisposeScope();
        Throws("options", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), new RetrievalOptions { ScanWorkers = 0 }));
        Throws("options", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), Emb(4), Lab(4), new RetrievalOptions { ScanWorkers = -1 }));
    }

    [Fact]
    public void Empty_sets_are_rejected()
    {
        using var scope = torch.NewDisposeScope();
        Throws("embeddings", () => RetrievalEvaluator.Evaluate(torch.empty(0, 4), torch.empty(0, ScalarType.Int64)));
        Throws("embeddings", () => RetrievalEvaluator.Evaluate(Emb(1), Lab(1))); // nothing to retrieve from
        Throws("queries", () => RetrievalEvaluator.Evaluate(torch.empty(0, 4), torch.empty(0, ScalarType.Int64), Emb(3), Lab(3)));
        Throws("references", () => RetrievalEvaluator.Evaluate(Emb(3), Lab(3), torch.empty(0, 4), torch.empty(0, ScalarType.Int64)));
        Throws("embeddings", () => RetrievalEvaluator.Evaluate(torch.empty(5, 0), Lab(5)));
        Throws("labels", () => NormalizedMutualInformation.Compute(torch.empty(0, ScalarType.Int64), torch.empty(0, ScalarType.Int64)));
    }

    [Fact]
    public void NaN_or_infinite_embeddings_are_rejected()
    {
        using var scope = torch.NewDisposeScope();
        var nan = Emb(5); nan[2, 1] = torch.tensor(float.NaN);
        var inf = Emb(5); inf[0, 0] = torch.tensor(float.PositiveInfinity);
        Throws("embeddings", () => RetrievalEvaluator.Evaluate(nan, Lab(5)));
        Throws("embeddings", () => RetrievalEvaluator.Evaluate(inf, Lab(5)));
        Throws("queries", () => RetrievalEvaluator.Evaluate(nan, Lab(5), Emb(4), Lab(4)));
        Throws("references", () => RetrievalEvaluator.Evaluate(Emb(4), Lab(4), nan, Lab(5)));
        Throws("embeddings", () => ExactCosineKnn.SearchWithin(nan, 2));
        Throws("data", () => KMeans.Fit(nan, 2));
    }

    [Fact]
    public void K_larger_than_the_reference_set_is_rejected()
    {
        using var scope = torch.NewDisposeScope();
        // Same set: 5 rows leave 4 references per query.
        Throws("options", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), new RetrievalOptions { RecallKs = [1, 5] }));
        Throws("options", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), Emb(3), Lab(3), new RetrievalOptions { RecallKs = [4] }));
        Throws("options", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), new RetrievalOptions { RecallKs = [0] }));
        Throws("options", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), new RetrievalOptions { RecallKs = [1], NeighbourCount = 5 }));
        Throws("k", () => ExactCosineKnn.SearchWithin(Emb(5), 5));
        Throws("k", () => ExactCosineKnn.Search(Emb(5), Emb(3), 4));
        Throws("k", () => ExactCosineKnn.SearchWithin(Emb(5), 0));
        // The boundary itself is fine.
        Assert.Equal(1.0, RetrievalEvaluator.Evaluate(Emb(6), Lab(6), new RetrievalOptions { RecallKs = [5] }).RecallAt[5]);
    }

    [Fact]
    public void Bad_chunk_sizes_and_cluster_counts_are_rejected()
    {
        using var scope = torch.NewDisposeScope();
        Throws("options", () => RetrievalEvaluator.Evaluate(Emb(5), Lab(5), new RetrievalOptions { RecallKs = [1], ChunkSize = 0 }));
        Throws("chunkSize", () => ExactCosineKnn.SearchWithin(Emb(5), 1, chunkSize: -3));
        Throws("clusters", () => KMeans.Fit(Emb(5), 6));
        Throws("clusters", () => NormalizedMutualInformation.Compute(Lab(5), Lab(4)));
        Throws("embeddings", () => RetrievalEvaluator.Evaluate(torch.randn(5), Lab(5)));
        Throws("embeddings", () => RetrievalEvaluator.Evaluate(torch.ones(5, 4, ScalarType.Int32), Lab(5)));
    }
}
