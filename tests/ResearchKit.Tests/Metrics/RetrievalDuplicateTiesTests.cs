using ResearchKit.Metrics;
using ResearchKit.Metrics.Knn;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>
/// Many exact ties across block boundaries: rows copied from a small pool of unit vectors whose entries are ±1, ±1/2
/// or ±1/4 (cosines are multiples of 1/16, exact in float32 in any summation order), so duplicates of one vector
/// tie exactly with each other and other pool vectors tie at the same cosines. Classes of 1-4 members, so that
/// blocks of 64 take the grouped top-k and grouped count paths (with padding: 301 is no multiple of the groups),
/// and blocks of 3 and 7 the exact ones. Compared with the brute-force ranking, through the lists and through the
/// counted ranks alone, with one and two scan workers.
/// </summary>
public class RetrievalDuplicateTiesTests
{
    private const int Dim = 16;

    internal static double[][] Pool(Random rng, int size) => Enumerable.Range(0, size).Select(_ =>
    {
        var v = new double[Dim];
        var order = Enumerable.Range(0, Dim).OrderBy(_ => rng.Next()).ToArray();
        double Sign() => rng.Next(2) == 0 ? 1 : -1;
        switch (rng.Next(4))
        {
            case 0: v[order[0]] = Sign(); break;
            case 1: for (int j = 0; j < 4; j++) v[order[j]] = Sign() / 2; break;
            case 2: for (int j = 0; j < 16; j++) v[order[j]] = Sign() / 4; break;
            default:
                for (int j = 0; j < 2; j++) v[order[j]] = Sign() / 2;
                for (int j = 2; j < 10; j++) v[order[j]] = Sign() / 4;
                break;
        }
        return v;
    }).ToArray();

    /// <summary>Labels in classes of 1-4 members, shuffled; label values offset so sets can share some classes.</summary>
    internal static long[] Labels(Random rng, int n, long offset)
    {
        var labels = new List<long>();
        for (long c = offset; labels.Count < n; c++)
            labels.AddRange(Enumerable.Repeat(c, Math.Min(1 + rng.Next(4), n - labels.Count)));
        return labels.OrderBy(_ => rng.Next()).ToArray();
    }

    internal static Tensor ToTensor(double[][] rows) =>
        torch.tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, Dim }, ScalarType.Float64).to_type(ScalarType.Float32);

    public static TheoryData<bool, int, int> Settings()
    {
        var data = new TheoryData<bool, int, int>();
        foreach (var sameSet in new[] { true, false })
            foreach (var chunk in new[] { 3, 7, 64 })
                foreach (var workers in new[] { 1, 2 })
                    data.Add(sameSet, chunk, workers);
        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Duplicates_tie_exactly_and_the_lower_index_wins(bool sameSet, int chunk, int workers)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(100 * chunk + workers + (sameSet ? 1 : 0));
        var pool = Pool(rng, 40);
        int nq = 301, nr = sameSet ? nq : 233;
        var q = Enumerable.Range(0, nq).Select(_ => pool[rng.Next(pool.Length)]).ToArray();
        var ql = Labels(rng, nq, 0);
        var r = sameSet ? null : Enumerable.Range(0, nr).Select(_ => pool[rng.Next(pool.Length)]).ToArray();
        // References share part of the query classes; the rest of the query classes are absent (lone queries).
        var rl = sameSet ? null : Labels(rng, nr, ql.Max() / 2);
        var reference = new BruteForceReference(q, ql, r, rl);
        int available = sameSet ? nq - 1 : nr;
        int[] ks = [1, 2, 4, 10, 50, available];
        var options = new RetrievalOptions { RecallKs = ks, ChunkSize = chunk, ScanWorkers = workers };

        RetrievalEvaluation Evaluate(RetrievalOptions o) => sameSet
            ? RetrievalEvaluator.EvaluateWithNeighbours(ToTensor(q), torch.tensor(ql), o)
            : RetrievalEvaluator.EvaluateWithNeighbours(ToTensor(q), torch.tensor(ql), ToTensor(r!), torch.tensor(rl!), o);

        using var evaluation = Evaluate(options);
        var result = evaluation.Result;
        Assert.True(result.LoneQueryCount > 0);
        Assert.Equal(Enumerable.Range(0, nq).Where(i => reference.RelevantCount[i] == 0).Select(i => (long)i), evaluation.LoneQueryIndices);
        reference.AssertMetrics(result, ks);
        reference.AssertNeighbours(evaluation.Neighbours.Indices);

        // Every rank from the negative counts alone (ties with the best positive decided by index, capped counts).
        using var counted = Evaluate(options with { RanksFromCountsOnly = true });
        foreach (var k in ks) Assert.Equal(reference.RecallAt(k), counted.Result.RecallAt[k], 12);
    }
}
