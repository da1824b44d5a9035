using ResearchKit.Metrics;

namespace ResearchKit.Tests.Metrics;

/// <summary>
/// A plain, unblocked reference for the tests: full ranking of every query by (similarity desc, index asc),
/// metric definitions written out literally (spec/losses.md §6, golden README conventions).
/// </summary>
internal sealed class BruteForceReference
{
    public BruteForceReference(double[][] queries, long[] queryLabels, double[][]? references, long[]? referenceLabels)
    {
        bool sameSet = references is null;
        var refs = references ?? queries;
        var refLabels = referenceLabels ?? queryLabels;
        Rankings = new int[queries.Length][];
        RelevantCount = new int[queries.Length];
        for (int q = 0; q < queries.Length; q++)
        {
            var candidates = Enumerable.Range(0, refs.Length).Where(r => !sameSet || r != q).ToArray();
            var sims = candidates.ToDictionary(r => r, r => Cosine(queries[q], refs[r]));
            Rankings[q] = candidates.OrderByDescending(r => sims[r]).ThenBy(r => r).ToArray();
            RelevantCount[q] = candidates.Count(r => refLabels[r] == queryLabels[q]);
        }
        Relevant = Rankings.Select((ranking, q) => ranking.Select(r => refLabels[r] == queryLabels[q]).ToArray()).ToArray();
    }

    public int[][] Rankings { get; }
    public bool[][] Relevant { get; }
    public int[] RelevantCount { get; }

    private IEnumerable<int> Scored => Enumerable.Range(0, Rankings.Length).Where(q => RelevantCount[q] > 0);

    public double PrecisionAt1 => Scored.Average(q => Relevant[q][0] ? 1.0 : 0.0);

    public double RPrecision => Scored.Average(q => Relevant[q].Take(RelevantCount[q]).Count(x => x) / (double)RelevantCount[q]);

    public double MapAtR => Scored.Average(q =>
    {
        double sum = 0; int hits = 0;
        for (int j = 0; j < RelevantCount[q]; j++)
            if (Relevant[q][j]) { hits++; sum += hits / (double)(j + 1); }
        return sum / RelevantCount[q];
    });

    public double RecallAt(int k) => Enumerable.Range(0, Rankings.Length).Average(q => Relevant[q].Take(k).Any(x => x) ? 1.0 : 0.0);

    /// <summary>P@1, R-Precision, MAP@R and Recall@k of <paramref name="result"/> equal these (to 1e-12).</summary>
    public void AssertMetrics(RetrievalResult result, IEnumerable<int> ks)
    {
        Assert.Equal(PrecisionAt1, result.PrecisionAt1, 12);
        Assert.Equal(RPrecision, result.RPrecision, 12);
        Assert.Equal(MapAtR, result.MapAtR, 12);
        foreach (var k in ks) Assert.Equal(RecallAt(k), result.RecallAt[k], 12);
    }

    /// <summary>Each query's neighbour list (N x width) is the start of its brute-force ranking, ties in index order.</summary>
    public void AssertNeighbours(TorchSharp.torch.Tensor indices)
    {
        int width = (int)indices.shape[1];
        var actual = indices.contiguous().data<long>().ToArray();
        for (int i = 0; i < Rankings.Length; i++)
            Assert.Equal(Rankings[i].Take(width).Select(x => (long)x), actual.Skip(i * width).Take(width));
    }

    private static double Cosine(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / (Math.Max(Math.Sqrt(na), 1e-12) * Math.Max(Math.Sqrt(nb), 1e-12));
    }
}
