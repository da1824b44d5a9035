using ResearchKit.Metrics;
using ResearchKit.Metrics.Knn;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>
/// The same-set scan's diagonal blocks, computed as a staircase of row strips and read above the diagonal only
/// (each pair then serves both its queries), against the brute-force ranking on exact-tie data (the pool of
/// <see cref="RetrievalDuplicateTiesTests"/>). Blocks are wide enough for several strips: 1,301 rows in blocks of 517
/// give diagonal blocks of 517 (strips 256 + 261, the short remainder joined) and 267 (256 + 11); blocks of 700 give
/// 700 (256 + 256 + 188) and 601 (256 + 256 + 89).
/// </summary>
public class DiagonalStaircaseTests
{
    [Theory]
    [InlineData(517, 1, "float32")]
    [InlineData(517, 2, "float32")]
    [InlineData(700, 2, "float32")]
    [InlineData(517, 2, "float64")]
    [InlineData(700, 1, "float64")]
    public void Staircase_diagonal_blocks_rank_like_brute_force(int chunk, int workers, string dtypeName)
    {
        // float32 runs the kit's kernel on x86 (upper tiles of diagonal blocks); float64 the torch staircase.
        var dtype = dtypeName == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        using var scope = torch.NewDisposeScope();
        var rng = new Random(chunk + workers);
        var pool = RetrievalDuplicateTiesTests.Pool(rng, 60);
        const int n = 1301;
        var rows = Enumerable.Range(0, n).Select(_ => pool[rng.Next(pool.Length)]).ToArray();
        var labels = RetrievalDuplicateTiesTests.Labels(rng, n, 0);
        var reference = new BruteForceReference(rows, labels, null, null);
        int[] ks = [1, 2, 4, 10, 50, n - 1];
        var options = new RetrievalOptions { RecallKs = ks, ChunkSize = chunk, ScanWorkers = workers };

        using var evaluation = RetrievalEvaluator.EvaluateWithNeighbours(RetrievalDuplicateTiesTests.ToTensor(rows).to_type(dtype), torch.tensor(labels), options);
        reference.AssertMetrics(evaluation.Result, ks);
        reference.AssertNeighbours(evaluation.Neighbours.Indices);
        using var counted = RetrievalEvaluator.EvaluateWithNeighbours(RetrievalDuplicateTiesTests.ToTensor(rows).to_type(dtype), torch.tensor(labels),
            options with { RanksFromCountsOnly = true });
        foreach (var k in ks) Assert.Equal(reference.RecallAt(k), counted.Result.RecallAt[k], 12);
    }

    [Theory]
    [InlineData(1024, new long[] { 0, 256, 256, 256, 512, 256, 768, 256 })]
    [InlineData(517, new long[] { 0, 256, 256, 261 })]
    [InlineData(263, new long[] { 0, 263 })]
    [InlineData(264, new long[] { 0, 256, 256, 8 })]
    [InlineData(86, new long[] { 0, 86 })]
    public void Strips_cover_the_block_and_none_is_short(long m, long[] expected)
    {
        var strips = BlockedKnnScan.DiagonalStrips(m).SelectMany(s => new[] { s.R0, s.Rows }).ToArray();
        Assert.Equal(expected, strips);
    }
}
