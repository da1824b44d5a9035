using ResearchKit.Metrics.Knn;

namespace ResearchKit.Metrics;

/// <summary>An evaluation's metrics together with the neighbour lists they were computed from.</summary>
public sealed class RetrievalEvaluation : IDisposable
{
    /// <summary>Pairs the two and names the lone queries; the neighbour tensors are owned by this object.</summary>
    public RetrievalEvaluation(RetrievalResult result, KnnResult neighbours, IReadOnlyList<long> loneQueryIndices)
    {
        Result = result;
        Neighbours = neighbours;
        LoneQueryIndices = loneQueryIndices;
    }

    /// <summary>The metric values.</summary>
    public RetrievalResult Result { get; }
    /// <summary>Each query's nearest references, at least max(R) and <see cref="RetrievalOptions.NeighbourCount"/> wide (capped at the references available).</summary>
    public KnnResult Neighbours { get; }

    /// <summary>
    /// The queries with no other member of their class among the references (R = 0), ascending: excluded from P@1,
    /// R-Precision and MAP@R, misses for Recall@k.
    /// </summary>
    public IReadOnlyList<long> LoneQueryIndices { get; }

    /// <summary>Disposes the neighbour tensors.</summary>
    public void Dispose() => Neighbours.Dispose();
}
