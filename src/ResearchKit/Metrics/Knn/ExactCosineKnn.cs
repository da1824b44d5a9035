using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// Exact cosine k-nearest-neighbour search by chunked matrix products and top-k on the tensor device, with
/// deterministic tie-breaking (the lower reference index wins) and memory bounded by the block edge.
/// </summary>
public static class ExactCosineKnn
{
    /// <summary>
    /// Same-set search: every row is a query against all other rows (itself excluded). (A distinct name because
    /// TorchSharp converts an int to a Tensor implicitly, which would make overloads ambiguous.)
    /// </summary>
    /// <param name="embeddings">(N x D) float32/float64, finite; L2-normalised here (x / max(‖x‖, 1e-12)).</param>
    /// <param name="k">Neighbours per query, 1..N-1.</param>
    /// <param name="chunkSize">Block edge; null = <see cref="ChunkSizePolicy.Default"/>.</param>
    /// <param name="device">Where the search runs; null = the embeddings' device.</param>
    public static KnnResult SearchWithin(Tensor embeddings, int k, int? chunkSize = null, Device? device = null)
    {
        RetrievalInputGuard.Embeddings(embeddings, nameof(embeddings), minRows: 2);
        RetrievalInputGuard.NeighbourCount(k, embeddings.shape[0] - 1, nameof(k), "k");
        RetrievalInputGuard.ChunkSize(chunkSize, nameof(chunkSize));
        return Run(embeddings, null, k, chunkSize, device ?? embeddings.device);
    }

    /// <summary>Separate query and reference sets: every query against every reference.</summary>
    /// <param name="queries">(Nq x D) float32/float64, finite.</param>
    /// <param name="references">(Nr x D), same D and dtype as <paramref name="queries"/>.</param>
    /// <param name="k">Neighbours per query, 1..Nr.</param>
    /// <param name="chunkSize">Block edge; null = <see cref="ChunkSizePolicy.Default"/>.</param>
    /// <param name="device">Where the search runs; null = the queries' device.</param>
    public static KnnResult Search(Tensor queries, Tensor references, int k, int? chunkSize = null, Device? device = null)
    {
        RetrievalInputGuard.Embeddings(queries, nameof(queries));
        RetrievalInputGuard.Embeddings(references, nameof(references));
        RetrievalInputGuard.SameDimension(queries, references, nameof(references));
        RetrievalInputGuard.NeighbourCount(k, references.shape[0], nameof(k), "k");
        RetrievalInputGuard.ChunkSize(chunkSize, nameof(chunkSize));
        return Run(queries, references, k, chunkSize, device ?? queries.device);
    }

    /// <summary>The L2 normalisation used for cosine similarity (<c>F.normalize</c>: x / max(‖x‖, 1e-12)).</summary>
    public static Tensor Normalize(Tensor embeddings) =>
        torch.nn.functional.normalize(embeddings, p: 2, dim: 1, eps: 1e-12);

    private static KnnResult Run(Tensor queries, Tensor? references, int k, int? chunkSize, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var q = Normalize(queries.to(device));
        var r = references is null ? null : Normalize(references.to(device));
        int workers = torch.get_num_threads();
        var found = BlockedKnnScan.Run(q, r, chunkSize ?? ChunkSizePolicy.Default((int)q.element_size(), workers), k, counting: null, workers);
        return new KnnResult(found.Indices.MoveToOuterDisposeScope(), found.Values.MoveToOuterDisposeScope());
    }
}
