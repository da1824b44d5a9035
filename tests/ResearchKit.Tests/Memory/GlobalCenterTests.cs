using ResearchKit.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Memory;

/// <summary>Queue mechanics beyond the golden file: state_dict round trip, reset, spread, no gradient, bad input.</summary>
public class GlobalCenterTests
{
    [Fact]
    public void State_dict_holds_entries_counts_and_heads_and_round_trips()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        var a = new GlobalCenter(5, 3, 4, ScalarType.Float64);
        a.Enqueue(randn(new long[] { 11, 4 }, ScalarType.Float64, generator: g), tensor(new long[] { 0, 1, 0, 0, 0, 2, 4, 4, 1, 0, 2 }));
        var keys = a.state_dict().Keys.OrderBy(k => k).ToArray();
        Assert.Equal(new[] { "counts", "entries", "heads" }, keys);
        Assert.Empty(a.parameters());

        var path = Path.Combine(Path.GetTempPath(), $"rk-center-{Guid.NewGuid():N}.bin");
        try
        {
            a.save(path);
            var b = new GlobalCenter(5, 3, 4, ScalarType.Float64);
            b.load(path);
            Assert.True(b.Entries.allclose(a.Entries, 0, 0));
            Assert.True(b.Counts.eq(a.Counts).all().item<bool>());
            Assert.True(b.Heads.eq(a.Heads).all().item<bool>());
            // The loaded queue continues the ring exactly like the original.
            var next = randn(new long[] { 4, 4 }, ScalarType.Float64, generator: g);
            var labels = tensor(new long[] { 0, 3, 0, 1 });
            a.Enqueue(next, labels);
            b.Enqueue(next, labels);
            Assert.True(b.Entries.allclose(a.Entries, 0, 0));
            Assert.True(b.Heads.eq(a.Heads).all().item<bool>());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Reset_empties_every_queue()
    {
        using var scope = NewDisposeScope();
        var center = new GlobalCenter(3, 2, 4);
        center.Enqueue(randn(5, 4), tensor(new long[] { 0, 1, 2, 2, 2 }));
        Assert.True(center.NonEmpty().all().item<bool>());
        center.Reset();
        Assert.Equal(0, center.Counts.sum().item<long>());
        Assert.Equal(0, center.Heads.sum().item<long>());
        Assert.Equal(0.0, center.Entries.abs().sum().item<float>());
    }

    [Fact]
    public void Squared_deviation_sums_equal_the_direct_sum_over_valid_entries()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var center = new GlobalCenter(4, 5, 6, ScalarType.Float64);
        center.Enqueue(randn(new long[] { 13, 6 }, ScalarType.Float64, generator: g), tensor(new long[] { 0, 0, 1, 0, 3, 0, 1, 0, 0, 3, 3, 0, 1 }));
        var means = center.Means();
        var spread = center.SquaredDeviationSums();
        var counts = center.Counts.data<long>().ToArray();
        for (int c = 0; c < 4; c++)
        {
            double direct = 0;
            for (int m = 0; m < counts[c]; m++)
                direct += (center.Entries[c, m] - means[c]).square().sum().item<double>();
            Assert.Equal(direct, spread[c].item<double>(), 1e-12);
        }
        Assert.Equal(0.0, spread[2].item<double>());   // class 2 never seen
    }

    [Fact]
    public void Enqueue_stores_detached_normalised_rows()
    {
        using var scope = NewDisposeScope();
        var center = new GlobalCenter(2, 4, 3, ScalarType.Float64);
        var x = tensor(new double[] { 3, 0, 4, 0, 0, 2 }, new long[] { 2, 3 }, ScalarType.Float64).requires_grad_(true);
        center.Enqueue(x * 1.0, tensor(new long[] { 1, 1 }));
        Assert.False(center.Entries.requires_grad);
        Assert.True(center.Entries[1, 0].allclose(tensor(new double[] { 0.6, 0, 0.8 }, ScalarType.Float64)));
        Assert.True(center.Entries[1, 1].allclose(tensor(new double[] { 0, 0, 1 }, ScalarType.Float64)));
    }

    [Fact]
    public void Bad_arguments_throw_argument_exceptions_naming_them()
    {
        using var scope = NewDisposeScope();
        Assert.Equal("capacity", Assert.ThrowsAny<ArgumentException>(() => new GlobalCenter(3, 0, 4)).ParamName);
        Assert.Equal("numClasses", Assert.ThrowsAny<ArgumentException>(() => new GlobalCenter(0, 3, 4)).ParamName);
        Assert.Equal("embeddingSize", Assert.ThrowsAny<ArgumentException>(() => new GlobalCenter(3, 3, 0)).ParamName);
        var center = new GlobalCenter(3, 2, 4);
        Assert.Equal("labels", Assert.ThrowsAny<ArgumentException>(() => center.Enqueue(randn(2, 4), tensor(new long[] { 0, 3 }))).ParamName);
        Assert.Equal("labels", Assert.ThrowsAny<ArgumentException>(() => center.Enqueue(randn(2, 4), tensor(new long[] { 0 }))).ParamName);
        Assert.Equal("embeddings", Assert.ThrowsAny<ArgumentException>(() => center.Enqueue(randn(2, 5), tensor(new long[] { 0, 1 }))).ParamName);
        Assert.Equal("embeddings", Assert.ThrowsAny<ArgumentException>(() => center.Enqueue(randn(2, 4, 1), tensor(new long[] { 0, 1 }))).ParamName);
        var nan = randn(2, 4);
        nan[0, 1] = tensor(float.NaN);
        Assert.Equal("embeddings", Assert.ThrowsAny<ArgumentException>(() => center.Enqueue(nan, tensor(new long[] { 0, 1 }))).ParamName);
        Assert.Equal("newCounts", Assert.ThrowsAny<ArgumentException>(() =>
            center.Restore(zeros(3, 2, 4), tensor(new long[] { 0, 3, 0 }), tensor(new long[] { 0, 0, 0 }))).ParamName);
        // Nothing was written by the rejected calls.
        Assert.Equal(0, center.Counts.sum().item<long>());
    }
}
