using ResearchKit.Metrics.Knn;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>
/// <see cref="BestPositive.Find"/> against a brute-force search over each query's class: rows with entries in
/// {0, ±1/2, ±1} (products exact in any summation order, so many exact ties, which go to the lowest reference index),
/// few and large classes as well as many small ones, labels absent from the references (lone queries), and memory
/// budgets that force one-row windows and classes split over several column pieces.
/// </summary>
public class BestPositiveTests
{
    public static TheoryData<bool, int, long, string> Settings()
    {
        var data = new TheoryData<bool, int, long, string>();
        foreach (var sameSet in new[] { true, false })
            foreach (var classes in new[] { 3, 40 })
                foreach (var budget in new[] { 64L << 20, 64L * 8 * 5 })   // 5 columns per piece at float64
                    data.Add(sameSet, classes, budget, budget > 1 << 20 ? "float32" : "float64");
        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Find_equals_brute_force(bool sameSet, int classes, long chunkBytes, string dtypeName)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(classes * 10 + (sameSet ? 1 : 0));
        var dtype = dtypeName == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        int nq = 150, nr = sameSet ? nq : 120;
        double[][] Rows(int n) => Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 6).Select(_ => rng.Next(5) / 2.0 - 1).ToArray()).ToArray();
        // Labels 0..classes: the extra one is missing from the references in the separate-set case.
        var ql = Enumerable.Range(0, nq).Select(_ => (long)rng.Next(classes + 1)).ToArray();
        var rl = sameSet ? ql : Enumerable.Range(0, nr).Select(_ => (long)rng.Next(classes)).ToArray();
        var q = Rows(nq);
        var r = sameSet ? q : Rows(nr);
        Tensor ToTensor(double[][] rows) => torch.tensor(rows.SelectMany(x => x).ToArray(), new long[] { rows.Length, 6 }).to_type(dtype);
        var qt = ToTensor(q);
        var rt = sameSet ? qt : ToTensor(r);

        using var best = BestPositive.Find(qt, torch.tensor(ql), rt, torch.tensor(rl), sameSet, chunkBytes, workers: 2);

        var similarity = best.Similarity.to_type(ScalarType.Float64).data<double>().ToArray();
        var index = best.Index.data<long>().ToArray();
        var relevant = best.RelevantCount.data<long>().ToArray();
        for (int i = 0; i < nq; i++)
        {
            double expected = double.PositiveInfinity;
            long expectedIndex = -1;
            int count = 0;
            for (int j = 0; j < nr; j++)
            {
                if (rl[j] != ql[i] || (sameSet && j == i)) continue;
                count++;
                double s = q[i].Zip(r[j], (a, b) => a * b).Sum();
                if (expectedIndex < 0 || s > expected) (expected, expectedIndex) = (s, j);
            }
            Assert.Equal(count, relevant[i]);
            Assert.Equal(expectedIndex, index[i]);
            Assert.Equal(expected, similarity[i]);
        }
        if (!sameSet) Assert.Contains(-1L, index);   // lone queries (a label no reference has) were exercised
    }
}
