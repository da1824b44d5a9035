namespace ResearchKit.Metrics;

/// <summary>An evaluation's metrics together with the neighbour lists they were computed from.</summary>
public sealed class RetrievalEvaluation : IDisposable
{
    /// <summary>Pairs the two; the neighbour tensors are owned by this object.</summary>
    public RetrievalEvaluation(RetrievalResult result, KnnResult neighbours)
    {
        Result = result;
        Neighbours = neighbours;
    }

    /// <summary>The metric values.</summary>
    public RetrievalResult Result { get; }
    /// <summary>Each query's nearest references, at least max(R) and <see cref="RetrievalOptions.NeighbourCount"/> wide (capped at the references available).</summary>
    public KnnResult Neighbours { get; }

    /// <summary>Disposes the neighbour tensors.</summary>
    public void Dispose() => Neighbours.Dispose();
}
