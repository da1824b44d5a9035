using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>Argument checks shared by the k-NN search and the evaluator: each failure names the argument and the expected form.</summary>
internal static class RetrievalInputGuard
{
    public static void Embeddings(Tensor? embeddings, string name, long minRows = 1)
    {
        if (embeddings is null) throw new ArgumentNullException(name);
        if (embeddings.dim() != 2)
            throw new ArgumentException($"expected a 2-D (rows x dim) tensor, got shape [{string.Join(",", embeddings.shape)}]", name);
        if (embeddings.dtype != ScalarType.Float32 && embeddings.dtype != ScalarType.Float64)
            throw new ArgumentException($"expected float32 or float64 embeddings, got {embeddings.dtype}", name);
        if (embeddings.shape[1] == 0) throw new ArgumentException("expected at least one embedding dimension, got 0 columns", name);
        if (embeddings.shape[0] < minRows)
            throw new ArgumentException($"expected at least {minRows} row(s), got {embeddings.shape[0]} (empty set)", name);
        if (!Internal.FiniteValues.All(embeddings)) throw new ArgumentException("expected finite values, found NaN or infinity", name);
    }

    public static void Labels(Tensor? labels, string name, long rows, string embeddingsName)
    {
        if (labels is null) throw new ArgumentNullException(name);
        if (labels.dim() != 1)
            throw new ArgumentException($"expected a 1-D label vector, got shape [{string.Join(",", labels.shape)}]", name);
        if (labels.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new ArgumentException($"expected integer labels, got {labels.dtype}", name);
        if (labels.shape[0] != rows)
            throw new ArgumentException($"expected one label per row of {embeddingsName} ({rows}), got {labels.shape[0]}", name);
    }

    public static void SameDimension(Tensor queries, Tensor references, string referencesName)
    {
        if (queries.shape[1] != references.shape[1])
            throw new ArgumentException(
                $"expected the queries' embedding size {queries.shape[1]}, got {references.shape[1]} (mismatched dims)", referencesName);
        if (queries.dtype != references.dtype)
            throw new ArgumentException($"expected the queries' dtype {queries.dtype}, got {references.dtype}", referencesName);
    }

    public static void ChunkSize(int? chunkSize, string name)
    {
        if (chunkSize is { } c && c < 1) throw new ArgumentOutOfRangeException(name, c, "expected a positive chunk size (block edge)");
    }

    /// <summary>A neighbour count must be at least 1 and at most the candidates per query.</summary>
    public static void NeighbourCount(long k, long available, string name, string what)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(name, k, $"expected {what} >= 1");
        if (k > available)
            throw new ArgumentOutOfRangeException(name, k,
                $"expected {what} <= {available}, the references available to each query (k larger than the reference set)");
    }
}
