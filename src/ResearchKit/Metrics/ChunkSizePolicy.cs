namespace ResearchKit.Metrics;

/// <summary>
/// The default block edge of the exact k-NN scan. A block costs about <c>chunk² · (3 · element size + 8)</c> bytes
/// (the products, a transposed copy for the column top-k, comparison masks and partial sums); the default spends at
/// most a sixteenth of the available memory on it, and stays within [<see cref="MinChunk"/>, <see cref="MaxChunk"/>]:
/// beyond 2048 the products get no faster on CPU while transposed top-k and masks fall out of cache.
/// </summary>
public static class ChunkSizePolicy
{
    /// <summary>Smallest default block edge.</summary>
    public const int MinChunk = 64;
    /// <summary>Largest default block edge.</summary>
    public const int MaxChunk = 2048;

    /// <summary>Bytes per block element: products, a transposed copy, masks and sums.</summary>
    public static long BytesPerElement(int elementSize) => 3L * elementSize + 8;

    /// <summary>Memory the process could still use, as the GC sees it (physical or container limit minus the load).</summary>
    public static long AvailableMemoryBytes()
    {
        var info = GC.GetGCMemoryInfo();
        long total = info.TotalAvailableMemoryBytes;
        long load = info.MemoryLoadBytes;
        return load > 0 && load < total ? total - load : total / 2;
    }

    /// <summary>The default chunk for this element size (4 for float32, 8 for float64) and the available memory.</summary>
    public static int Default(int elementSize) => FromBudget(AvailableMemoryBytes() / 16, elementSize);

    /// <summary>The largest chunk whose block fits <paramref name="budgetBytes"/>, clamped to [MinChunk, MaxChunk].</summary>
    public static int FromBudget(long budgetBytes, int elementSize)
    {
        if (elementSize <= 0) throw new ArgumentOutOfRangeException(nameof(elementSize), elementSize, "expected a positive element size in bytes");
        double edge = Math.Sqrt(Math.Max(0, budgetBytes) / (double)BytesPerElement(elementSize));
        return (int)Math.Clamp(Math.Floor(edge / 64) * 64, MinChunk, MaxChunk);
    }
}
