using ResearchKit.Notebooks.Embedding;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Notebooks.Tests;

public class TsneTests
{
    private static (Tensor X, Tensor Labels) Clusters(int perClass, int classes, int dim, double separation, long seed)
    {
        var g = new Generator((ulong)seed);
        var centres = randn(new long[] { classes, dim }, dtype: ScalarType.Float64, generator: g) * separation;
        var labels = arange(classes).repeat_interleave(perClass);
        var x = centres.index_select(0, labels) + randn(new long[] { classes * perClass, dim }, dtype: ScalarType.Float64, generator: g);
        return (x, labels);
    }

    [Fact]
    public void Well_separated_clusters_stay_separated()
    {
        using var scope = NewDisposeScope();
        var (x, labels) = Clusters(40, 4, 10, 8.0, seed: 3);

        var result = Tsne.Fit(x, new TsneOptions { Perplexity = 15, Iterations = 400, Seed = 1 });

        var y = result.Embedding;
        Assert.Equal(new long[] { 160, 2 }, y.shape);
        // Every point's nearest neighbour in the layout is from its own cluster...
        var d = cdist(y, y) + eye(160, dtype: ScalarType.Float64) * 1e9;
        var nearest = d.argmin(1);
        Assert.Equal(160, labels.index_select(0, nearest).eq(labels).sum().item<long>());
        // ...and clusters are far apart relative to their size.
        var centroids = stack(Enumerable.Range(0, 4).Select(c => y[labels.eq(c)].mean(new long[] { 0 })).ToArray());
        var spread = Enumerable.Range(0, 4).Select(c => (y[labels.eq(c)] - centroids[c]).norm(1).mean().item<double>()).Max();
        var gaps = cdist(centroids, centroids) + eye(4, dtype: ScalarType.Float64) * 1e9;
        Assert.True(gaps.min().item<double>() > 3 * spread, $"min centroid gap {gaps.min().item<double>()} vs spread {spread}");
        Assert.True(result.KlDivergence is > 0 and < 2, $"KL {result.KlDivergence}");
    }

    [Fact]
    public void Same_seed_gives_the_same_layout_and_another_seed_a_different_one()
    {
        using var scope = NewDisposeScope();
        var (x, _) = Clusters(10, 3, 5, 5.0, seed: 4);
        var options = new TsneOptions { Perplexity = 5, Iterations = 100, Seed = 9 };
        var a = Tsne.Fit(x, options).Embedding;
        var b = Tsne.Fit(x, options).Embedding;
        var c = Tsne.Fit(x, options with { Seed = 10 }).Embedding;
        Assert.True(a.equal(b).all().item<bool>());
        Assert.False(a.allclose(c));
    }

    [Fact]
    public void Joint_fit_splits_samples_proxies_and_centres()
    {
        using var scope = NewDisposeScope();
        var (x, _) = Clusters(10, 2, 4, 6.0, seed: 5);
        var (s, p, c) = Tsne.FitJointly(x, randn(2, 4), randn(2, 4), new TsneOptions { Perplexity = 5, Iterations = 50 });
        Assert.Equal(new long[] { 20, 2 }, s.shape);
        Assert.Equal(new long[] { 2, 2 }, p!.shape);
        Assert.Equal(new long[] { 2, 2 }, c!.shape);
        Assert.Throws<ArgumentException>(() => Tsne.FitJointly(x, randn(2, 3), null));
    }

    [Fact]
    public void Bad_input_is_rejected()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => Tsne.Fit(randn(10)));
        Assert.Throws<ArgumentException>(() => Tsne.Fit(randn(3, 2)));
        Assert.Throws<ArgumentException>(() => Tsne.Fit(randn(10, 2), new TsneOptions { Perplexity = 10 }));
    }
}
