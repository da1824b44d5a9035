using ResearchKit.Losses;
using ResearchKit.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Memory;

/// <summary>
/// The running per-class statistics behind <see cref="GlobalCenter.Means"/> and <see cref="GlobalCenter.SquaredDeviationSums()"/>
/// against a full recompute from the stored entries, through enqueues, wrap-around, Reset, Restore, loads and moves.
/// </summary>
public class GlobalCenterStatisticsTests
{
    /// <summary>
    /// Means and spreads recomputed directly from the stored entries in float64; also checks that invalid slots are zero.
    /// Tolerance: float64 1e-12 of the array's scale (the spread is a difference, so its scale is Σ||g||²);
    /// float32 the README's rtol 1e-4 / atol_rel 1e-5 (the float32 means are rounded once from float64 sums).
    /// </summary>
    private static void AssertMatchesRecompute(GlobalCenter center, string what)
    {
        using var scope = NewDisposeScope();
        var e = center.Entries.to_type(ScalarType.Float64);
        var n = center.Counts.to_type(ScalarType.Int64);
        var valid = arange(center.Capacity, ScalarType.Int64).unsqueeze(0).lt(n.unsqueeze(1)).unsqueeze(2);
        Assert.Equal(0.0, e.masked_select(valid.logical_not().expand(e.shape)).abs().sum().item<double>());
        var refMeans = e.sum(1) / n.clamp_min(1).to_type(ScalarType.Float64).unsqueeze(1);
        var dev = (e - refMeans.unsqueeze(1)).masked_fill(valid.logical_not(), 0);
        var refSpread = dev.square().sum(new long[] { 1, 2 });
        var sqScale = Math.Max(e.square().sum(new long[] { 1, 2 }).max().item<double>(), 1e-300);

        var means = center.Means();
        var spread = center.SquaredDeviationSums();
        Assert.Equal(center.Entries.dtype, means.dtype);
        Assert.Equal(center.Entries.dtype, spread.dtype);
        double meanErr = (means.to_type(ScalarType.Float64) - refMeans).abs().max().item<double>();
        double meanScale = Math.Max(refMeans.abs().max().item<double>(), 1e-300);
        double spreadErr = (spread.to_type(ScalarType.Float64) - refSpread).abs().max().item<double>();
        if (center.Entries.dtype == ScalarType.Float64)
        {
            Assert.True(meanErr <= 1e-12 * meanScale, $"{what}: means off by {meanErr:E3} (scale {meanScale:E3})");
            Assert.True(spreadErr <= 1e-12 * sqScale, $"{what}: spread off by {spreadErr:E3} (scale {sqScale:E3})");
        }
        else
        {
            var meanTol = (1e-4 * refMeans.abs() + 1e-5 * meanScale);
            Assert.True((means.to_type(ScalarType.Float64) - refMeans).abs().le(meanTol).all().item<bool>(), $"{what}: means off by {meanErr:E3}");
            Assert.True(spreadErr <= 1e-5 * sqScale, $"{what}: spread off by {spreadErr:E3} (scale {sqScale:E3})");
        }
    }

    /// <summary>Labels that often put more than M samples of one class in a batch; class C − 1 is never used.</summary>
    private static Tensor RandomLabels(Random rng, int n, int numClasses)
    {
        int hot = rng.Next(numClasses - 1);
        return tensor(Enumerable.Range(0, n).Select(_ => (long)(rng.NextDouble() < 0.4 ? hot : rng.Next(numClasses - 1))).ToArray());
    }

    public static TheoryData<int, ScalarType> Seeds()
    {
        var data = new TheoryData<int, ScalarType>();
        foreach (var seed in new[] { 1, 2, 3, 4, 5, 6 })
        {
            data.Add(seed, ScalarType.Float64);
            data.Add(seed, ScalarType.Float32);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Running_statistics_equal_a_full_recompute_after_random_enqueues(int seed, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        var g = new Generator((ulong)seed);
        int c = rng.Next(3, 7), m = rng.Next(2, 6), d = rng.Next(3, 9);
        // No periodic recompute: every check below sees the incremental path only.
        var center = new GlobalCenter(c, m, d, dtype, recomputeInterval: int.MaxValue);
        AssertMatchesRecompute(center, "empty");
        for (int step = 0; step < 40; step++)
        {
            int n = rng.Next(1, 3 * m + 2);
            center.Enqueue(randn(new long[] { n, d }, dtype, generator: g) * (1 + rng.Next(4)), RandomLabels(rng, n, c));
            AssertMatchesRecompute(center, $"seed {seed} step {step}");
        }
        Assert.Equal(1, center.StatisticsRecomputes);   // only the initial one
        Assert.Equal(0, center.Counts[c - 1].item<long>());   // a never-seen class stays a zero row
        Assert.True(center.Counts.lt(m).any().item<bool>() || center.Counts.eq(m).all().item<bool>());
    }

    [Fact]
    public void Partially_filled_classes_and_wrap_around_keep_exact_means()
    {
        using var scope = NewDisposeScope();
        var center = new GlobalCenter(3, 3, 2, ScalarType.Float64, recomputeInterval: int.MaxValue);
        var x = tensor(new double[] { 1, 0, 0, 1, -1, 0, 0, -1, 1, 0 }, new long[] { 5, 2 }, ScalarType.Float64);
        center.Enqueue(x[..2], tensor(new long[] { 0, 0 }));   // class 0: 2 of 3
        Assert.True(center.Means()[0].allclose(tensor(new double[] { 0.5, 0.5 }, ScalarType.Float64), 0, 1e-15));
        center.Enqueue(x, tensor(new long[] { 0, 0, 0, 1, 0 }));   // class 0 wraps: 4 more samples into 3 slots
        AssertMatchesRecompute(center, "wrapped");
        // Class 0 now holds the last three of its samples: x1, x2, x4 -> mean (0, 1/3) ... computed independently:
        var expected = (x[1] + x[2] + x[4]) / 3;
        Assert.True(center.Means()[0].allclose(expected, 0, 1e-15));
        Assert.Equal(1, center.StatisticsRecomputes);
    }

    [Fact]
    public void Periodic_recompute_runs_every_interval_and_stays_exact()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(11);
        var g = new Generator(11);
        var center = new GlobalCenter(4, 3, 5, ScalarType.Float64, recomputeInterval: 3);
        for (int step = 1; step <= 7; step++)
        {
            center.Enqueue(randn(new long[] { 6, 5 }, ScalarType.Float64, generator: g), RandomLabels(rng, 6, 4));
            AssertMatchesRecompute(center, $"step {step}");
        }
        // Recomputes at the 1st (stale at start), 4th and 7th enqueue.
        Assert.Equal(3, center.StatisticsRecomputes);
        Assert.Equal("recomputeInterval",
            Assert.ThrowsAny<ArgumentException>(() => new GlobalCenter(2, 2, 2, recomputeInterval: 0)).ParamName);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Reset_and_restore_leave_exact_statistics(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(5);
        var g = new Generator(5);
        var center = new GlobalCenter(4, 3, 6, dtype, recomputeInterval: int.MaxValue);
        center.Enqueue(randn(new long[] { 10, 6 }, dtype, generator: g), RandomLabels(rng, 10, 4));
        AssertMatchesRecompute(center, "before reset");
        center.Reset();
        AssertMatchesRecompute(center, "after reset");
        Assert.Equal(0.0, center.Means().abs().sum().to_type(ScalarType.Float64).item<double>());
        center.Enqueue(randn(new long[] { 7, 6 }, dtype, generator: g), RandomLabels(rng, 7, 4));
        AssertMatchesRecompute(center, "enqueue after reset");

        var entries = TorchSharp.torch.nn.functional.normalize(randn(new long[] { 4, 3, 6 }, dtype, generator: g), dim: -1);
        center.Restore(entries, tensor(new long[] { 3, 1, 0, 2 }), tensor(new long[] { 0, 1, 0, 2 }));
        AssertMatchesRecompute(center, "after restore");
        center.Enqueue(randn(new long[] { 9, 6 }, dtype, generator: g), RandomLabels(rng, 9, 4));
        AssertMatchesRecompute(center, "enqueue after restore");
    }

    [Fact]
    public void Loading_a_saved_queue_into_a_used_module_rebuilds_the_statistics()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(8);
        var g = new Generator(8);
        var a = new GlobalCenter(5, 4, 6, ScalarType.Float64);
        a.Enqueue(randn(new long[] { 17, 6 }, ScalarType.Float64, generator: g), RandomLabels(rng, 17, 5));
        var b = new GlobalCenter(5, 4, 6, ScalarType.Float64);
        b.Enqueue(randn(new long[] { 9, 6 }, ScalarType.Float64, generator: g), RandomLabels(rng, 9, 5));
        AssertMatchesRecompute(b, "b before load");   // b's statistics are valid for its own state now

        var path = Path.Combine(Path.GetTempPath(), $"rk-center-stats-{Guid.NewGuid():N}.bin");
        try
        {
            a.save(path);
            b.load(path);
            AssertMatchesRecompute(b, "after load(path)");
            Assert.True(b.Means().allclose(a.Means(), 0, 1e-15));
        }
        finally { File.Delete(path); }

        var c = new GlobalCenter(5, 4, 6, ScalarType.Float64);
        c.Enqueue(randn(new long[] { 4, 6 }, ScalarType.Float64, generator: g), RandomLabels(rng, 4, 5));
        AssertMatchesRecompute(c, "c before load_state_dict");
        c.load_state_dict(a.state_dict());
        AssertMatchesRecompute(c, "after load_state_dict");
        Assert.True(c.Means().allclose(a.Means(), 0, 1e-15));

        // The loaded queue continues exactly like the original.
        var next = randn(new long[] { 6, 6 }, ScalarType.Float64, generator: g);
        var labels = RandomLabels(rng, 6, 5);
        a.Enqueue(next, labels);
        c.Enqueue(next, labels);
        AssertMatchesRecompute(c, "enqueue after load_state_dict");
        Assert.True(c.Means().allclose(a.Means(), 0, 1e-15));
    }

    [Fact]
    public void Moving_to_float64_keeps_counts_integer_and_statistics_exact()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(9);
        var g = new Generator(9);
        var center = new GlobalCenter(4, 3, 5);
        center.Enqueue(randn(new long[] { 12, 5 }, generator: g), RandomLabels(rng, 12, 4));
        var before = center.Means();
        center.to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, center.Entries.dtype);
        Assert.Equal(ScalarType.Int64, center.Counts.dtype);
        Assert.Equal(ScalarType.Int64, center.Heads.dtype);
        AssertMatchesRecompute(center, "after to(float64)");
        Assert.True(center.Means().allclose(before.to_type(ScalarType.Float64), 1e-6, 1e-7));
        center.Enqueue(randn(new long[] { 8, 5 }, ScalarType.Float64, generator: g), RandomLabels(rng, 8, 4));
        AssertMatchesRecompute(center, "enqueue after to(float64)");
        center.to(CPU);
        AssertMatchesRecompute(center, "after to(cpu)");
    }

    [Fact]
    public void The_state_dict_keeps_exactly_the_three_buffers()
    {
        using var scope = NewDisposeScope();
        var center = new GlobalCenter(3, 2, 4);
        center.Enqueue(randn(5, 4), tensor(new long[] { 0, 1, 2, 2, 2 }));
        _ = center.Means();
        Assert.Equal(new[] { "counts", "entries", "heads" }, center.state_dict().Keys.OrderBy(k => k).ToArray());
        Assert.Equal(3, center.named_buffers().Count());
    }

    [Fact]
    public void Loading_a_parent_module_reaches_the_queue_statistics()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(12);
        var rng = new Random(12);
        CalibrateProxyObjective Make() =>
            CalibrateProxyObjective.Create(5, 4, new ProxyAnchorLoss(), new CalibrateProxyOptions { StartEpoch = 0, QueuePerClass = 3 },
                dtype: ScalarType.Float64, generator: g);
        var a = Make();
        a.Center.Enqueue(randn(new long[] { 14, 4 }, ScalarType.Float64, generator: g), RandomLabels(rng, 14, 5));
        var b = Make();
        b.Center.Enqueue(randn(new long[] { 6, 4 }, ScalarType.Float64, generator: g), RandomLabels(rng, 6, 5));
        AssertMatchesRecompute(b.Center, "b before load");

        var path = Path.Combine(Path.GetTempPath(), $"rk-cp-stats-{Guid.NewGuid():N}.bin");
        try
        {
            a.save(path);
            b.load(path);
            AssertMatchesRecompute(b.Center, "after parent load(path)");
            Assert.True(b.Center.Means().allclose(a.Center.Means(), 0, 1e-15));
        }
        finally { File.Delete(path); }

        var c = Make();
        c.Center.Enqueue(randn(new long[] { 3, 4 }, ScalarType.Float64, generator: g), RandomLabels(rng, 3, 5));
        AssertMatchesRecompute(c.Center, "c before load_state_dict");
        c.load_state_dict(a.state_dict());
        AssertMatchesRecompute(c.Center, "after parent load_state_dict");
        Assert.True(c.Center.Means().allclose(a.Center.Means(), 0, 1e-15));
    }
}
