using ResearchKit.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>k-means++ / Lloyd on separable clusters, determinism, and NMI through the evaluator.</summary>
public class KMeansTests
{
    /// <summary>k tight clusters around far-apart centres (one-hot directions scaled), shuffled.</summary>
    private static (Tensor Data, Tensor Labels) Separable(int k, int perClass, int dim, ulong seed)
    {
        var g = new torch.Generator(seed);
        var centres = torch.eye(dim).narrow(0, 0, k).mul(10);
        var labels = torch.arange(k).repeat_interleave(perClass);
        var data = centres.index_select(0, labels).add(torch.randn(k * perClass, dim, generator: g).mul(0.1));
        var order = torch.randperm(k * perClass, generator: g);
        return (data.index_select(0, order), labels.index_select(0, order));
    }

    [Fact]
    public void Recovers_separable_clusters()
    {
        using var scope = torch.NewDisposeScope();
        var (data, labels) = Separable(6, 25, 8, 11);
        using var fit = KMeans.Fit(data, 6, new KMeansOptions { Seed = 3 });
        Assert.Equal(1.0, NormalizedMutualInformation.Compute(labels, fit.Assignments), 12);
        Assert.Equal(new long[] { 6, 8 }, fit.Centroids.shape);
        Assert.InRange(fit.Iterations, 1, 100);
    }

    [Fact]
    public void Same_seed_same_clusters_other_seed_other_seeding()
    {
        using var scope = torch.NewDisposeScope();
        var data = torch.randn(200, 5, generator: new torch.Generator(5));
        using var a = KMeans.Fit(data, 7, new KMeansOptions { Seed = 42 });
        using var b = KMeans.Fit(data, 7, new KMeansOptions { Seed = 42 });
        Assert.True(a.Assignments.equal(b.Assignments).all().item<bool>());
        using var seedsA = KMeans.SeedPlusPlus(data, 7, 42);
        using var seedsC = KMeans.SeedPlusPlus(data, 7, 43);
        Assert.False(seedsA.equal(seedsC).all().item<bool>());
    }

    [Fact]
    public void Seeding_picks_distinct_rows_of_the_data()
    {
        using var scope = torch.NewDisposeScope();
        var (data, _) = Separable(5, 10, 6, 2);
        var seeds = KMeans.SeedPlusPlus(data, 5, 0);
        // D² sampling never picks an already chosen point (its weight is 0), so 5 separable clusters get one seed each.
        var nearestClass = seeds.mm(torch.eye(6).narrow(0, 0, 5).t()).argmax(1);
        Assert.Equal(5, torch.unique(nearestClass).Item1.shape[0]);
    }

    [Fact]
    public void Evaluator_reports_nmi_when_asked()
    {
        using var scope = torch.NewDisposeScope();
        var (data, labels) = Separable(4, 12, 8, 9);
        var result = RetrievalEvaluator.Evaluate(data, labels, new RetrievalOptions { ComputeNmi = true, KMeans = new KMeansOptions { Seed = 1 } });
        Assert.Equal(1.0, result.Nmi!.Value, 12);
        Assert.Equal(1.0, result.MapAtR, 12);
        Assert.Null(RetrievalEvaluator.Evaluate(data, labels).Nmi);
    }
}
