using System.Numerics;
using System.Runtime.CompilerServices;
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
/// (min of the k-th value and s*); one SIMD pass over the block compares every value with its row's gate and, on the
/// column side, with its column's gate, and only the values that reach a gate (a few per row once the lists fill)
/// go to the exact, scalar <see cref="RunningTopK{T}.Offer"/> and <see cref="NegativeCounter{T}.Offer"/>.
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
        int lanes = Vector256<T>.Count;
        for (int a = 0; a < rows; a++)
        {
            // Above the diagonal a row starts right after its own element.
            int first = sides == BlockSides.UpperTriangle ? a + 1 : 0;
            var row = block.Slice(a * columns + first, columns - first);
            var columnGates = columnSide ? gates.AsSpan(checked((int)(columnOffset + first)), row.Length) : default;
            long query = rowOffset + a, firstColumn = columnOffset + first;
            var rowGate = Vector256.Create(gates[query]);
            int c = 0;
            for (; c <= row.Length - lanes; c += lanes)
            {
                var v = Vector256.Create(row.Slice(c, lanes));
                uint rowHits = Vector256.GreaterThanOrEqual(v, rowGate).ExtractMostSignificantBits();
                uint columnHits = columnSide ? Vector256.GreaterThanOrEqual(v, Vector256.Create((ReadOnlySpan<T>)columnGates.Slice(c, lanes))).ExtractMostSignificantBits() : 0;
                if ((rowHits | columnHits) == 0) continue;
                if (rowHits != 0)
                {
                    FoldRow(row, c, rowHits, query, firstColumn);
                    rowGate = Vector256.Create(gates[query]);
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
    }

    /// <summary>Offers the row-side hits of the lanes starting at column <paramref name="start"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void FoldRow(ReadOnlySpan<T> row, int start, uint hits, long query, long firstColumn)
    {
        for (; hits != 0; hits &= hits - 1)
        {
            int col = start + BitOperations.TrailingZeroCount(hits);
            Offer(query, row[col], firstColumn + col);
        }
    }

    private void Offer(long query, T similarity, long reference)
    {
        topK.Offer(query, similarity, reference);
        counter?.Offer(query, similarity, reference);
        gates[query] = Gate(query);
    }

    private T Gate(long query) => counter is null ? topK.Threshold(query) : T.Min(topK.Threshold(query), counter.Threshold(query));

}
