using System.Runtime.Intrinsics.X86;
using ResearchKit.Metrics.Knn;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>
/// The scan's float32 product kernel against its scalar definition, bit for bit: every product one fused
/// multiply-add chain over the dimension in index order, for both kernel widths this CPU runs, shapes that leave
/// partial tiles on either side, rows with a stride, the diagonal block's upper tiles, and the mirror (a pair's
/// number does not depend on which side is the query). Another summation order (a BLAS product, a split or
/// vectorised sum over the dimension) differs from the chain in most entries of random data, so any such change fails.
/// </summary>
public unsafe class FmaProductsTests
{
    /// <summary>The kernel widths this CPU runs: 16 wherever the kernel runs at all, 32 with AVX-512.</summary>
    public static TheoryData<int> Widths()
    {
        var data = new TheoryData<int>();
        if (FmaProducts.IsSupported) data.Add(16);
        if (FmaProducts.IsSupported && Avx512F.IsSupported) data.Add(32);
        return data;
    }

    [Fact]
    public void This_x86_test_machine_runs_the_kernel()
    {
        // CI runs on x86 machines with FMA; without it the theories below would have no data and prove nothing.
        Assert.True(FmaProducts.IsSupported, "expected an x86 CPU with FMA and AVX2");
    }

    private static float[] RandomMatrix(Random rng, int rows, int cols) =>
        Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

    private static float Reference(float[] a, int i, float[] b, int j, int d) =>
        FmaProducts.Reference(a.AsSpan(i * d, d), b.AsSpan(j * d, d));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Products_equal_the_fma_chain_bit_for_bit(int width)
    {
        var rng = new Random(width);
        foreach (var (m, n, d) in new[] { (1, 1, 1), (5, 7, 3), (12, 32, 64), (13, 33, 129), (6, 16, 2), (31, 100, 17), (40, 65, 512) })
        {
            var a = RandomMatrix(rng, m, d);
            var b = RandomMatrix(rng, n, d);
            using var product = FmaProducts.Product(torch.tensor(a, new long[] { m, d }), torch.tensor(b, new long[] { n, d }), width);
            Assert.Equal(new long[] { m, n }, product.shape);
            var c = product.data<float>().ToArray();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    Assert.True(Reference(a, i, b, j, d) == c[i * n + j], $"({m}x{n}x{d}) entry ({i}, {j}): {c[i * n + j]:R} vs chain {Reference(a, i, b, j, d):R}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void The_mirror_and_the_other_width_give_the_same_numbers(int width)
    {
        var rng = new Random(100 + width);
        int m = 29, n = 45, d = 70;
        var a = torch.tensor(RandomMatrix(rng, m, d), new long[] { m, d });
        var b = torch.tensor(RandomMatrix(rng, n, d), new long[] { n, d });
        using var ab = FmaProducts.Product(a, b, width);
        using var ba = FmaProducts.Product(b, a, width);
        Assert.True(ab.eq(ba.t()).all().item<bool>(), "a pair's product depends on which side is the query");
        using var other = FmaProducts.Product(a, b, 16);
        Assert.True(ab.eq(other).all().item<bool>(), "the two kernel widths give different numbers");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Strided_rows_and_the_upper_tiles_of_a_diagonal_block(int width)
    {
        var rng = new Random(200 + width);
        int m = 77, d = 40, lda = 53;   // rows with a gap after each (a narrowed view of wider rows)
        var wide = RandomMatrix(rng, m, lda);
        var rows = Enumerable.Range(0, m).SelectMany(i => wide.Skip(i * lda).Take(d)).ToArray();
        using var packed = new FmaProducts.PackedColumns(width);
        var c = new float[m * m];
        Array.Fill(c, float.NaN);
        fixed (float* wp = wide) fixed (float* rp = rows) fixed (float* cp = c)
        {
            packed.Pack(rp, m, d, key: 0);
            FmaProducts.Multiply(wp, lda, m, packed, cp, m, upperOnly: true);
        }
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++)
                Assert.True(Reference(rows, i, rows, j, d) == c[i * m + j], $"entry ({i}, {j}) above the diagonal");
        // Whole tiles below the diagonal are skipped: the first tile row's bottom-left tile is never written.
        int tileRows = width == 32 ? 12 : 6;
        Assert.True(float.IsNaN(c[(m - 1) * m]), "a tile wholly below the diagonal was computed");
        Assert.False(float.IsNaN(c[(tileRows - 1) * m + 1]), "expected the first tile to be computed whole");
    }

    [Fact]
    public void The_scan_and_the_best_positives_report_the_chain_s_numbers()
    {
        // The negative counts compare the scan's similarities with s* from BestPositive: both must be the chain's
        // numbers for one pair, or a negative tied with s* in exact arithmetic could land on either side of it.
        using var scope = torch.NewDisposeScope();
        var rng = new Random(7);
        int n = 300, d = 512;   // at small dimensions MKL's small products happen to sum like the chain
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % 40)).ToArray();
        var raw = torch.tensor(RandomMatrix(rng, n, d), new long[] { n, d });
        var x = ExactCosineKnn.Normalize(raw);   // what the search computes on, as it normalises its input itself
        var rows = x.data<float>().ToArray();
        float Chain(long i, long j) => FmaProducts.Reference(rows.AsSpan((int)i * d, d), rows.AsSpan((int)j * d, d));

        var found = ExactCosineKnn.SearchWithin(raw, k: 20, chunkSize: 64);
        var indices = found.Indices.data<long>().ToArray();
        var values = found.Similarities.data<float>().ToArray();
        for (int i = 0; i < n; i++)
            for (int t = 0; t < 20; t++)
                Assert.True(Chain(i, indices[i * 20 + t]) == values[i * 20 + t], $"scan value of query {i}, neighbour {t}");

        using var best = BestPositive.Find(x, torch.tensor(labels), x, torch.tensor(labels), sameSet: true, chunkBytes: 64L << 20, workers: 2);
        var similarity = best.Similarity.data<float>().ToArray();
        var index = best.Index.data<long>().ToArray();
        for (int i = 0; i < n; i++)
            Assert.True(Chain(i, index[i]) == similarity[i], $"s* of query {i}");
    }

    [Fact]
    public void A_panel_width_other_than_16_or_32_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FmaProducts.PackedColumns(8));
        Assert.Equal("width", e.ParamName);
    }
}
