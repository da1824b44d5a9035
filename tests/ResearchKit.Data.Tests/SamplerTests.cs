using static TorchSharp.torch;

namespace ResearchKit.Data.Tests;

public class SamplerTests
{
    [Fact]
    public void Random_sampler_is_a_permutation_per_epoch_and_changes_between_epochs()
    {
        var s = new RandomBatchSampler(103, 10, seed: 4);
        var e0 = s.EpochPlan(0);
        Assert.Equal(10, e0.Count);   // the short last batch is dropped
        Assert.Equal(100, e0.SelectMany(b => b).Distinct().Count());
        Assert.Equal(e0.SelectMany(b => b), s.EpochPlan(0).SelectMany(b => b));
        Assert.NotEqual(e0.SelectMany(b => b), s.EpochPlan(1).SelectMany(b => b));
        Assert.Equal(11, new RandomBatchSampler(103, 10, 4, dropLast: false).EpochPlan(0).Count);
    }

    [Fact]
    public void M_per_class_batches_hold_m_of_each_of_distinct_classes()
    {
        var rng = new Random(0);
        var labels = Enumerable.Range(0, 400).Select(_ => rng.Next(30)).ToList();
        var s = new MPerClassSampler(labels, m: 4, batchSize: 32, seed: 9);
        var plan = s.EpochPlan(0);
        Assert.True(plan.Count >= 10);
        foreach (var b in plan)
        {
            Assert.Equal(32, b.Length);
            var counts = b.GroupBy(i => labels[i]).Select(g => g.Count()).ToList();
            Assert.Equal(8, counts.Count);
            Assert.All(counts, c => Assert.Equal(4, c));
        }
        Assert.Equal(plan.SelectMany(b => b), s.EpochPlan(0).SelectMany(b => b));
    }

    [Fact]
    public void M_per_class_rejects_batch_size_not_multiple_of_m()
    {
        var e = Assert.Throws<ArgumentException>(() => new MPerClassSampler([0, 1, 2], 2, 5, 0));
        Assert.Equal("batchSize", e.ParamName);
    }

    [Fact]
    public void Loader_resumed_from_a_checkpointed_state_yields_the_same_batches()
    {
        using var root = new TempDir();
        var ds = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path).Dataset;
        DataLoader Make() => new(ds.Train, new MPerClassSampler(ds.Train.Samples.Select(s => s.Label).ToList(), 4, 32, seed: 2),
            ImagePipeline.GlyphTrain(), new DataLoaderOptions { Seed = 11 });
        var full = Make();
        var reference = new List<(int[] Idx, Tensor X)>();
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var b in full.EpochBatches()) reference.Add((b.Indices, b.Images));

        // A "killed" run: stop after 3 batches of epoch 1, keep only the state.
        var first = Make();
        foreach (var b in first.EpochBatches()) b.Dispose();
        SamplerState saved = default;
        int taken = 0;
        foreach (var b in first.EpochBatches()) { b.Dispose(); saved = first.State; if (++taken == 3) break; }
        Assert.Equal(new SamplerState(1, 3), saved);

        var resumed = Make();
        resumed.Restore(saved);
        var rest = resumed.EpochBatches().ToList();
        int offset = reference.Count - rest.Count;
        Assert.Equal(Make().BatchesPerEpoch + 3, offset);   // epoch 0 in full, then 3 batches of epoch 1
        for (int i = 0; i < rest.Count; i++)
        {
            Assert.Equal(reference[offset + i].Idx, rest[i].Indices);
            Assert.True(reference[offset + i].X.allclose(rest[i].Images, 0, 0));
        }
        Assert.Equal(new SamplerState(2, 0), resumed.State);
    }

    [Fact]
    public void Loader_puts_labels_of_the_sampled_indices()
    {
        using var root = new TempDir();
        var ds = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path).Dataset;
        var loader = new DataLoader(ds.Test, new RandomBatchSampler(ds.Test.Count, 50, 1), ImagePipeline.GlyphEval());
        foreach (var b in loader.EpochBatches())
            using (b)
                Assert.Equal(b.Indices.Select(i => (long)ds.Test.Samples[i].Label), b.Labels.data<long>().ToArray());
    }
}
