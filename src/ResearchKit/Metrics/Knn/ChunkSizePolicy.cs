namespace ResearchKit.Metrics.Knn;

/// <summary>
/// The default block edge of the exact k-NN scan. Each scan worker holds one block of about
/// <c>chunk² · 2 · element size</c> bytes (the products, plus their host copy when they are made on another device); the default
/// spends at most a sixteenth of the available memory on all workers' blocks, and stays within
/// [<see cref="MinChunk"/>, <see cref="MaxChunk"/>]: beyond that the products get no faster on CPU while every pass
/// over a block falls out of cache.
/// </summary>
public static class ChunkSizePolicy
{
    /// <summary>Smallest default block edge.</summary>
    public const int MinChunk = 64;
    /// <summary>Largest default block edge. Measured on 2 cores (SOP-shaped 60,502 × 512, float32, 2 scan workers,
    /// median of 3): edge 512 / 768 / 1024 / 1536 / 2048 → evaluation 12.45 / 12.12 / 11.39 / 12.00 / 12.09 s, bare
    /// upper-triangle products 11.43 / 11.40 / 10.64 / 11.12 / 11.40 s. At 1024 a worker's 4 MiB block stays in the
    /// last-level cache between its product and its fold; smaller blocks lose to per-block overhead.</summary>
    public const int MaxChunk = 1024;

    /// <summary>Bytes per block element: the products and room for a host copy of them.</summary>
    public static long BytesPerElement(int elementSize) => 2L * elementSize;

    /// <summary>Memory the process could still use, as the GC sees it (physical or container limit minus the load).</summary>
    public static long AvailableMemoryBytes()
    {
        var info = GC.GetGCMemoryInfo();
        long total = info.TotalAvailableMemoryBytes;
        long load = info.MemoryLoadBytes;
        return load > 0 && load < total ? total - load : total / 2;
    }

    /// <summary>
    /// The default chunk for this element size (4 for float32, 8 for float64), the available memory and the number
    /// of scan workers (each holds a block).
    /// </summary>
    public static int Default(int elementSize, int workers = 1) =>
        FromBudget(AvailableMemoryBytes() / 16 / Math.Max(1, workers), elementSize);

    /// <summary>
    /// The largest multiple of 64 whose block fits <paramref name="budgetBytes"/>, clamped to [MinChunk, MaxChunk].
    /// </summary>
    public static int FromBudget(long budgetBytes, int elementSize)
    {
        if (elementSize <= 0) throw new ArgumentOutOfRangeException(nameof(elementSize), elementSize, "expected a positive element size in bytes");
        double edge = Math.Sqrt(Math.Max(0, budgetBytes) / (double)BytesPerElement(elementSize));
        return (int)Math.Clamp(Math.Floor(edge / 64) * 64, MinChunk, MaxChunk);
    }
}
