using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// Exact cosine nearest neighbours: for every query its k nearest references in rank order
/// (similarity descending, exact ties broken by the lower reference index; in the same-set setting the query itself is
/// excluded). Owns its tensors.
/// </summary>
public sealed class KnnResult : IDisposable
{
    /// <summary>Wraps the two tensors (ownership passes to this object).</summary>
    public KnnResult(Tensor indices, Tensor similarities)
    {
        Indices = indices;
        Similarities = similarities;
    }

    /// <summary>Reference indices, (queries x k), int64.</summary>
    public Tensor Indices { get; }
    /// <summary>Cosine similarities aligned with <see cref="Indices"/>, in the embeddings' dtype.</summary>
    public Tensor Similarities { get; }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Indices.Dispose();
        Similarities.Dispose();
    }
}
