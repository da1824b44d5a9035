using ResearchKit.Metrics.Knn;

namespace ResearchKit.Metrics;

/// <summary>Settings of <see cref="RetrievalEvaluator"/>. Immutable; the defaults are the CUB/Cars protocol.</summary>
public sealed record RetrievalOptions
{
    /// <summary>The k of Recall@k (hit rate). CUB/Cars: 1, 2, 4, 8 (the default); SOP: 1, 10, 100, 1000.</summary>
    public IReadOnlyList<int> RecallKs { get; init; } = [1, 2, 4, 8];

    /// <summary>Block edge of the k-NN scan (memory ~ chunk²); null = <see cref="ChunkSizePolicy.Default"/>.</summary>
    public int? ChunkSize { get; init; }

    /// <summary>
    /// Concurrent block workers of the k-NN scan on CPU, each running single-threaded tensor ops (other devices use
    /// one); null = <c>torch.get_num_threads()</c>. Results do not depend on it.
    /// </summary>
    public int? ScanWorkers { get; init; }

    /// <summary>
    /// Minimum width of the neighbour lists that <see cref="RetrievalEvaluator.EvaluateWithNeighbours(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, RetrievalOptions?, TorchSharp.torch.Device?)"/>
    /// returns; the lists are never narrower than the metrics need (the largest R). 0 = what the metrics need.
    /// </summary>
    public int NeighbourCount { get; init; }

    /// <summary>Also compute NMI of k-means clusters of the (normalised) query embeddings against the query labels.</summary>
    public bool ComputeNmi { get; init; }

    /// <summary>k-means settings for NMI; the cluster count defaults to the number of distinct query labels.</summary>
    public KMeansOptions KMeans { get; init; } = new();

    /// <summary>Test hook: rank every query's first relevant neighbour from the negative counts, never from the list.</summary>
    internal bool RanksFromCountsOnly { get; init; }

    /// <summary>SOP's protocol: Recall@{1, 10, 100, 1000}.</summary>
    public static RetrievalOptions Sop { get; } = new() { RecallKs = [1, 10, 100, 1000] };
}
