using ResearchKit.Data;
using ResearchKit.Training.Engine;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Engine;

public class EvalBatchCacheTests
{
    // 37 random grey 12 x 12 images in 3 classes: batches of 16 leave a short last batch.
    private static DataSplit Split(int seed, int count = 37)
    {
        var rng = new Random(seed);
        var bytes = new byte[count * 12 * 12];
        rng.NextBytes(bytes);
        var buffer = new PixelBuffer("random", bytes, count, 12, 12, 1);
        return DataSplit.FromOriginalLabels("random", Enumerable.Range(0, count).Select(i => ((ImageSource)new PixelImageSource(buffer, i), i % 3)));
    }

    private static readonly ImagePipeline Eval = ImagePipeline.GlyphEval(8);

    [Fact]
    public void Kept_batches_give_the_embeddings_of_a_fresh_decode_bit_for_bit_on_every_pass()
    {
        manual_seed(1);
        using var network = Tiny.Network();
        var split = Split(0);
        using var cache = new EvalBatchCache(Eval, CPU, workers: 2);
        using var fresh = Embedder.Embed(network, split, Eval, 16, CPU, workers: 2);
        var kept = cache.Batches(split, 16);
        Assert.NotNull(kept);
        Assert.Equal(3, kept!.Count);
        Assert.Equal(cache.BytesOf(split), cache.KeptBytes);
        for (int pass = 0; pass < 2; pass++)
        {
            Assert.Same(kept, cache.Batches(split, 16));
            using var again = Embedder.Embed(network, kept);
            Assert.Equal(fresh.shape, again.shape);
            Assert.True(fresh.eq(again).all().item<bool>(), $"pass {pass}: embeddings from kept batches differ from a fresh decode");
        }
    }

    [Fact]
    public void Kept_batches_have_the_loaders_strides()
    {
        var split = Split(1);
        using var cache = new EvalBatchCache(Eval, CPU, workers: 1);
        var kept = cache.Batches(split, 16)!;
        var direct = Embedder.DecodeBatches(split, Eval, 16, CPU, workers: 1);
        try
        {
            Assert.Equal(direct.Count, kept.Count);
            for (int i = 0; i < kept.Count; i++)
            {
                Assert.Equal(direct[i].stride(), kept[i].stride());
                Assert.True(direct[i].eq(kept[i]).all().item<bool>());
            }
        }
        finally
        {
            foreach (var b in direct) b.Dispose();
        }
    }

    [Fact]
    public void A_split_beyond_the_budget_is_not_kept_and_a_new_batch_size_replaces_the_old_batches()
    {
        var small = Split(2, count: 10);
        var large = Split(3, count: 30);
        using var cache = new EvalBatchCache(Eval, CPU, workers: 1, budgetBytes: 20 * 64 * sizeof(float));
        Assert.NotNull(cache.Batches(small, 4));
        Assert.Equal(10 * 64 * sizeof(float), cache.KeptBytes);
        Assert.Null(cache.Batches(large, 4));                     // 10 + 30 images > 20
        var regrouped = cache.Batches(small, 5);
        Assert.Equal(2, regrouped!.Count);
        Assert.Equal(10 * 64 * sizeof(float), cache.KeptBytes);   // the batches of 4 were released, not added to
    }

    [Fact]
    public void A_negative_budget_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EvalBatchCache(Eval, CPU, 1, budgetBytes: -1));
        Assert.Equal("budgetBytes", e.ParamName);
    }

    [Fact]
    public void Embedding_no_batches_is_refused()
    {
        using var network = Tiny.Network();
        var e = Assert.Throws<ArgumentException>(() => Embedder.Embed(network, Array.Empty<Tensor>()));
        Assert.Equal("imageBatches", e.ParamName);
    }
}
