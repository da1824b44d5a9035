using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Metrics.Knn;

/// <summary>Which pairs of a block the fold serves.</summary>
internal enum BlockSides
{
    /// <summary>Row a against column c only (the references are another set).</summary>
    Rows,
    /// <summary>Same-set block off the diagonal: also column c as query against row a as reference.</summary>
    RowsAndColumns,
    /// <summary>
    /// Same-set block of a range with itself (square): only elements above the diagonal (c &gt; a) are read, each
    /// serving both sides; the rest is the mirror or the query itself and need not hold products at all.
    /// </summary>
    UpperTriangle,
}

/// <summary>
/// Folds blocks of similarities into the running top-k lists and the negative counts, straight from the block's host
/// memory. Each query has one gate, the lowest similarity that could still change its list or its count
/// (min of the k-th value and s*); one SIMD pass over the block (512-bit vectors where the CPU runs them natively,
/// else 256-bit) compares every value with its row's gate and, on the column side, with its column's gate, and only
/// the values that reach a gate (a few per row once the lists fill) go to the exact, scalar
/// <see cref="RunningTopK{T}.Offer"/> and <see cref="NegativeCounter{T}.Offer"/>.
/// Gates only rise, so the filter never drops a value the exact tests would keep.
/// Not thread-safe: callers serialise blocks that share a query range.
/// </summary>
internal sealed class BlockSelection<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RunningTopK<T> topK;
    private readonly NegativeCounter<T>? counter;
    private readonly T[] gates;

    public BlockSelection(RunningTopK<T> topK, NegativeCounter<T>? counter)
    {
        this.topK = topK;
        this.counter = counter;
        gates = new T[topK.QueryCount];
        for (long q = 0; q < gates.Length; q++) gates[q] = Gate(q);
    }

    /// <summary>
    /// Folds in a (rows x columns) row-major block: row a is query <paramref name="rowOffset"/> + a against reference
    /// <paramref name="columnOffset"/> + c; <paramref name="sides"/> says whether column c also counts as query
    /// <paramref name="columnOffset"/> + c against reference <paramref name="rowOffset"/> + a, and whether only the
    /// part above the diagonal is read.
    /// </summary>
    // Fully optimised from the first call: tier-0 code of this loop made the first blocks ~5x slower than the rest.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fold(ReadOnlySpan<T> block, int rows, int columns, long rowOffset, long columnOffset, BlockSides sides)
    {
        if (block.Length < (long)rows * columns) throw new ArgumentException($"expected at least {rows} x {columns} values", nameof(block));
        if (sides == BlockSides.UpperTriangle && (rows != columns || rowOffset != columnOffset))
            throw new ArgumentException($"expected a square block on the diagonal, got {rows} x {columns} at ({rowOffset}, {columnOffset})", nameof(sides));
        bool columnSide = sides != BlockSides.Rows;
        for (int a = 0; a < rows; a++)
        {
            // Above the diagonal a row starts right after its own element.
            int first = sides == BlockSides.UpperTriangle ? a + 1 : 0;
            var row = block.Slice(a * columns + first, columns - first);
            var columnGates = columnSide ? gates.AsSpan(checked((int)(columnOffset + first)), row.Length) : default;
            if (Vector512.IsHardwareAccelerated)
                FoldRow<Lanes512>(row, columnGates, rowOffset + a, columnOffset + first);
            else
                FoldRow<Lanes256>(row, columnGates, rowOffset + a, columnOffset + first);
        }
    }

    /// <summary>
    /// One row: <paramref name="row"/>[c] is query <paramref name="query"/> against reference
    /// <paramref name="firstColumn"/> + c and, when <paramref name="columnGates"/> is not empty, the other way round.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private void FoldRow<TLanes>(ReadOnlySpan<T> row, ReadOnlySpan<T> columnGates, long query, long firstColumn)
        where TLanes : struct, ILanes
    {
        bool columnSide = !columnGates.IsEmpty;
        int lanes = TLanes.Count, c = 0;
        T rowGate = gates[query];
        for (; c <= row.Length - lanes; c += lanes)
        {
            ulong rowHits = TLanes.AtLeast(row, c, rowGate);
            ulong columnHits = columnSide ? TLanes.AtLeast(row, columnGates, c) : 0;
            if ((rowHits | columnHits) == 0) continue;
            if (rowHits != 0)
            {
                OfferRow(row, c, rowHits, query, firstColumn);
                rowGate = gates[query];
            }
            for (; columnHits != 0; columnHits &= columnHits - 1)
            {
                int col = c + BitOperations.TrailingZeroCount(columnHits);
                Offer(firstColumn + col, row[col], query);
            }
        }
        for (; c < row.Length; c++)
        {
            T value = row[c];
            if (value >= gates[query]) Offer(query, value, firstColumn + c);
            if (columnSide && value >= columnGates[c]) Offer(firstColumn + c, value, query);
        }
    }

    /// <summary>Offers the row-side hits of the lanes starting at column <paramref name="start"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void OfferRow(ReadOnlySpan<T> row, int start, ulong hits, long query, long firstColumn)
    {
        for (; hits != 0; hits &= hits - 1)
        {
            int col = start + BitOperations.TrailingZeroCount(hits);
            Offer(query, row[col], firstColumn + col);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Offer(long query, T similarity, long reference)
    {
        // The gate moves only when the k-th value changes or the count reaches its cap.
        bool moved = topK.Offer(query, similarity, reference);
        if (counter is not null) moved |= counter.Offer(query, similarity, reference);
        if (moved) gates[query] = Gate(query);
    }

    private T Gate(long query) => counter is null ? topK.Threshold(query) : T.Min(topK.Threshold(query), counter.Threshold(query));

    /// <summary>One vector width of the fold: bit i of a result is lane i's value reaching its gate.</summary>
    private interface ILanes
    {
        /// <summary>Values per vector.</summary>
        static abstract int Count { get; }

        /// <summary>values[at..at+Count) against one gate (the caller keeps at + Count within the span).</summary>
        static abstract ulong AtLeast(ReadOnlySpan<T> values, int at, T gate);

        /// <summary>values[at..at+Count) against gates[at..at+Count) (the caller keeps both within their spans).</summary>
        static abstract ulong AtLeast(ReadOnlySpan<T> values, ReadOnlySpan<T> gates, int at);
    }

    private readonly struct Lanes512 : ILanes
    {
        public static int Count => Vector512<T>.Count;

        public static ulong AtLeast(ReadOnlySpan<T> values, int at, T gate) =>
            Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(values), (nuint)at), Vector512.Create(gate))
                .ExtractMostSignificantBits();

        public static ulong AtLeast(ReadOnlySpan<T> values, ReadOnlySpan<T> gates, int at) =>
            Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(values), (nuint)at),
                Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(gates), (nuint)at)).ExtractMostSignificantBits();
    }

    private readonly struct Lanes256 : ILanes
    {
        public static int Count => Vector256<T>.Count;

        public static ulong AtLeast(ReadOnlySpan<T> values, int at, T gate) =>
            Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(values), (nuint)at), Vector256.Create(gate))
                .ExtractMostSignificantBits();

        public static ulong AtLeast(ReadOnlySpan<T> values, ReadOnlySpan<T> gates, int at) =>
            Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(values), (nuint)at),
                Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(gates), (nuint)at)).ExtractMostSignificantBits();
    }
}
