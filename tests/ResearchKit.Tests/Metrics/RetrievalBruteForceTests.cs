using ResearchKit.Metrics;
using ResearchKit.Metrics.Knn;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>
/// The blocked search and the counted ranks against a full brute-force ranking: exact-tie data (dyadic unit vectors,
/// whose cosines are exact in any summation order) and Gaussian data, many block sizes, k up to the whole reference set.
/// </summary>
public class RetrievalBruteForceTests
{
    /// <summary>Rows of R^5 with one entry ±1 or four entries ±1/2: unit norm, cosines multiples of 1/4.</summary>
    private static double[][] DyadicRows(Random rng, int n)
    {
        var rows = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var v = new double[5];
            if (rng.Next(2) == 0) v[rng.Next(5)] = rng.Next(2) == 0 ? 1 : -1;
            else
            {
                int zero = rng.Next(5);
                for (int j = 0; j < 5; j++) if (j != zero) v[j] = rng.Next(2) == 0 ? 0.5 : -0.5;
            }
            rows[i] = v;
        }
        return rows;
    }

    private static double[][] GaussianRows(Random rng, int n, int d, long[] labels, double spread)
    {
        var centres = new Dictionary<long, double[]>();
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return Enumerable.Range(0, n).Select(i =>
        {
            if (!centres.TryGetValue(labels[i], out var c)) centres[labels[i]] = c = Enumerable.Range(0, d).Select(_ => Normal()).ToArray();
            // float32-representable so that float32 and float64 runs start from the same numbers
            return c.Select(x => (double)(float)(x + spread * Normal())).ToArray();
        }).ToArray();
    }

    private static long[] Labels(Random rng, int n, int classes) => Enumerable.Range(0, n).Select(_ => (long)rng.Next(classes)).ToArray();

    private static Tensor ToTensor(double[][] rows, ScalarType dtype) =>
        torch.tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length }, ScalarType.Float64).to_type(dtype);

    public static TheoryData<string, bool, int, string> Settings()
    {
        var data = new TheoryData<string, bool, int, string>();
        foreach (var kind in new[] { "dyadic", "gaussian" })
            foreach (var sameSet in new[] { true, false })
                foreach (var chunk in new[] { 4, 17, 64, 1000 })
                    data.Add(kind, sameSet, chunk, chunk == 17 ? "float64" : "float32");
        // Larger sets and blocks: rows many lanes wide, where most lanes fall below the gates once the lists fill.
        foreach (var kind in new[] { "dyadic-large", "gaussian-large" })
            foreach (var sameSet in new[] { true, false })
                data.Add(kind, sameSet, 256, "float32");
        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Blocked_evaluation_equals_brute_force(string kind, bool sameSet, int chunk, string dtypeName)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(kind.Length * 1000 + chunk + (sameSet ? 1 : 0));
        var dtype = dtypeName == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        bool large = kind.EndsWith("-large");
        bool dyadic = kind.StartsWith("dyadic");
        int nq = large ? 700 : 90, nr = sameSet ? nq : large ? 600 : 70, classes = large ? 200 : 30;
        // Many classes so that some are singletons / absent from the reference set (lone queries).
        var ql = Labels(rng, nq, classes);
        var rl = sameSet ? null : Labels(rng, nr, classes);
        var q = dyadic ? DyadicRows(rng, nq) : GaussianRows(rng, nq, 12, ql, 0.8);
        var r = sameSet ? null : dyadic ? DyadicRows(rng, nr) : GaussianRows(rng, nr, 12, rl!, 0.8);
        var reference = new BruteForceReference(q, ql, r, rl);
        int available = sameSet ? nq - 1 : nr;
        int[] ks = [1, 2, 3, 5, 8, 13, 30, available];
        var options = new RetrievalOptions { RecallKs = ks, ChunkSize = chunk };

        using var evaluation = sameSet
            ? RetrievalEvaluator.EvaluateWithNeighbours(ToTensor(q, dtype), torch.tensor(ql), options)
            : RetrievalEvaluator.EvaluateWithNeighbours(ToTensor(q, dtype), torch.tensor(ql), ToTensor(r!, dtype), torch.tensor(rl!), options);
        var result = evaluation.Result;

        reference.AssertMetrics(result, ks);
        Assert.Equal(Math.Max(1, reference.RelevantCount.Max()), (int)evaluation.Neighbours.Indices.shape[1]);
        reference.AssertNeighbours(evaluation.Neighbours.Indices);
    }

    [Theory]
    [InlineData(true, 5)]
    [InlineData(false, 9)]
    public void Knn_search_equals_brute_force_with_ties(bool sameSet, int chunk)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(7);
        var q = DyadicRows(rng, 40);
        var r = sameSet ? null : DyadicRows(rng, 33);
        var reference = new BruteForceReference(q, new long[q.Length], r, r is null ? null : new long[r.Length]);
        int k = 20;
        using var knn = sameSet
            ? ExactCosineKnn.SearchWithin(ToTensor(q, ScalarType.Float32), k, chunk)
            : ExactCosineKnn.Search(ToTensor(q, ScalarType.Float32), ToTensor(r!, ScalarType.Float32), k, chunk);
        var actual = knn.Indices.contiguous().data<long>().ToArray();
        var sims = knn.Similarities.contiguous().data<float>().ToArray();
        for (int i = 0; i < q.Length; i++)
        {
            Assert.Equal(reference.Rankings[i].Take(k).Select(x => (long)x), actual.Skip(i * k).Take(k));
            for (int j = 1; j < k; j++) Assert.True(sims[i * k + j] <= sims[i * k + j - 1]);
        }
    }

    [Fact]
    public void Separate_sets_with_a_reference_that_duplicates_the_query_keep_it()
    {
        using var scope = torch.NewDisposeScope();
        var q = torch.tensor(new float[] { 1, 0, 0, 1 }, 2, 2);
        var r = torch.tensor(new float[] { 0, 1, 1, 0, 1, 0 }, 3, 2);
        using var knn = ExactCosineKnn.Search(q, r, 2);
        Assert.Equal(new long[] { 1, 2, 0, 1 }, knn.Indices.data<long>().ToArray());
    }

    [Fact]
    public void Device_parameter_runs_on_the_given_device()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(20, 4, generator: new torch.Generator(3));
        var labels = torch.arange(20).remainder(4);
        var onCpu = RetrievalEvaluator.Evaluate(x, labels, new RetrievalOptions { RecallKs = [1, 19] }, torch.CPU);
        var defaulted = RetrievalEvaluator.Evaluate(x, labels, new RetrievalOptions { RecallKs = [1, 19] });
        Assert.Equal(defaulted, onCpu);
        Assert.Equal(1.0, onCpu.RecallAt[19]);
    }
}
