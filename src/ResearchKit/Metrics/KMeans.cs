using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>k-means settings: k-means++ seeding from a seeded generator, then Lloyd iterations.</summary>
public sealed record KMeansOptions
{
    /// <summary>Number of clusters; null = the number of distinct labels (where a caller has labels).</summary>
    public int? Clusters { get; init; }
    /// <summary>Seed of the torch generator used for k-means++ seeding.</summary>
    public long Seed { get; init; }
    /// <summary>Upper bound on Lloyd iterations; they stop earlier when no assignment changes.</summary>
    public int MaxIterations { get; init; } = 100;
    /// <summary>Rows per distance block (memory ~ rows x clusters); null = as many as fit 64 MiB.</summary>
    public int? ChunkSize { get; init; }
}

/// <summary>A k-means fit: the cluster of every row and the centroids. Owns its tensors.</summary>
public sealed class KMeansFit : IDisposable
{
    /// <summary>Wraps the results (ownership passes to this object).</summary>
    public KMeansFit(Tensor assignments, Tensor centroids, int iterations)
    {
        Assignments = assignments;
        Centroids = centroids;
        Iterations = iterations;
    }

    /// <summary>(N) int64 cluster ids in 0..k-1.</summary>
    public Tensor Assignments { get; }
    /// <summary>(k x D) centroids.</summary>
    public Tensor Centroids { get; }
    /// <summary>Lloyd iterations run.</summary>
    public int Iterations { get; }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Assignments.Dispose();
        Centroids.Dispose();
    }
}

/// <summary>
/// Euclidean k-means in tensor code on the data's device: k-means++ seeding (D² sampling with a seeded generator; one
/// tensor step per centre, none per sample), then Lloyd iterations with chunked distance blocks and index_add updates.
/// An emptied cluster keeps its previous centroid. Deterministic for a given seed, device and thread count.
/// </summary>
public static class KMeans
{
    /// <summary>Clusters the rows of <paramref name="data"/> (N x D, float32/float64, finite) into <paramref name="clusters"/> groups.</summary>
    public static KMeansFit Fit(Tensor data, int clusters, KMeansOptions? options = null)
    {
        options ??= new KMeansOptions();
        RetrievalInputGuard.Embeddings(data, nameof(data));
        if (clusters < 1 || clusters > data.shape[0])
            throw new ArgumentOutOfRangeException(nameof(clusters), clusters, $"expected 1..{data.shape[0]} clusters (at most one per row)");
        if (options.MaxIterations < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxIterations, "expected options.MaxIterations >= 0");
        RetrievalInputGuard.ChunkSize(options.ChunkSize, nameof(options));

        using var scope = torch.NewDisposeScope();
        long n = data.shape[0];
        long chunk = options.ChunkSize ?? Math.Clamp((64L << 20) / (Math.Max(1, clusters) * data.element_size()), 1, n);
        var centroids = SeedPlusPlus(data, clusters, options.Seed);
        var assignments = Assign(data, centroids, chunk);
        int iterations = 0;
        while (iterations < options.MaxIterations)
        {
            iterations++;
            using var step = torch.NewDisposeScope();
            var sums = torch.zeros_like(centroids).index_add_(0, assignments, data, 1);
            var counts = torch.bincount(assignments, minlength: clusters).to_type(data.dtype).unsqueeze(1);
            var updated = torch.where(counts.gt(0), sums.div(counts.clamp_min(1)), centroids);
            centroids.copy_(updated);
            var next = Assign(data, centroids, chunk);
            bool changed = next.ne(assignments).any().item<bool>();
            assignments.copy_(next);
            if (!changed) break;
        }
        return new KMeansFit(assignments.MoveToOuterDisposeScope(), centroids.MoveToOuterDisposeScope(), iterations);
    }

    /// <summary>k-means++: the first centre uniformly, each next one with probability proportional to D².</summary>
    internal static Tensor SeedPlusPlus(Tensor data, int clusters, long seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator((ulong)seed, data.device);
        long n = data.shape[0];
        var centroids = torch.empty(clusters, data.shape[1], data.dtype, data.device);
        var first = torch.randint(0, n, new long[] { 1 }, ScalarType.Int64, data.device, generator: generator);
        centroids.narrow(0, 0, 1).copy_(data.index_select(0, first));
        var nearest = data.sub(centroids.narrow(0, 0, 1)).square().sum(1);
        var uniform = torch.ones_like(nearest);
        for (int c = 1; c < clusters; c++)
        {
            using var step = torch.NewDisposeScope();
            // All remaining distances zero (duplicates only): fall back to uniform, without a host round trip.
            var weights = torch.where(nearest.sum().gt(0), nearest, uniform);
            var pick = torch.multinomial(weights, 1, replacement: false, generator: generator);
            var centre = data.index_select(0, pick);
            centroids.narrow(0, c, 1).copy_(centre);
            nearest.copy_(torch.minimum(nearest, data.sub(centre).square().sum(1)));
        }
        return centroids.MoveToOuterDisposeScope();
    }

    /// <summary>Nearest centroid per row: argmax of x·c − ‖c‖²/2, in row chunks.</summary>
    internal static Tensor Assign(Tensor data, Tensor centroids, long chunk)
    {
        using var scope = torch.NewDisposeScope();
        long n = data.shape[0];
        var halfNorm = centroids.square().sum(1).mul(0.5).unsqueeze(0);
        var result = torch.empty(n, ScalarType.Int64, data.device);
        for (long i0 = 0; i0 < n; i0 += chunk)
        {
            using var block = torch.NewDisposeScope();
            long m = Math.Min(chunk, n - i0);
            var scores = data.narrow(0, i0, m).mm(centroids.t()).sub(halfNorm);
            result.narrow(0, i0, m).copy_(scores.argmax(1));
        }
        return result.MoveToOuterDisposeScope();
    }
}
