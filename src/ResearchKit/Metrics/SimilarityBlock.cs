using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// One block of the scan: the similarities (rows x padded columns; padding columns hold -inf) and group maxima along
/// both sides, computed once and shared by the top-k lists and the negative counts. The maxima are reductions over a
/// non-innermost dimension (strided column groups, contiguous row groups), which vectorise along the contiguous rows,
/// unlike maxima of a few adjacent elements or a transposed copy.
/// </summary>
internal sealed class SimilarityBlock
{
    private SimilarityBlock(Tensor values, long columns) { Values = values; Columns = columns; }

    /// <summary>(Rows x PaddedColumns) similarities; columns from <see cref="Columns"/> on are -inf padding.</summary>
    public Tensor Values { get; }
    /// <summary>Rows of the block.</summary>
    public long Rows => Values.shape[0];
    /// <summary>Real columns.</summary>
    public long Columns { get; }
    /// <summary>Columns including padding (the row stride of <see cref="Values"/>).</summary>
    public long PaddedColumns => Values.shape[1];

    /// <summary>
    /// (Rows x G) maxima of the strided column groups {c, c + G, c + 2G, ...}; without grouping G = 1 (one group,
    /// the whole row).
    /// </summary>
    public Tensor RowGroupMax { get; private set; } = null!;
    /// <summary>Columns per strided group (PaddedColumns / G).</summary>
    public long RowGroupWidth { get; private set; }
    /// <summary>Per row: its largest similarity.</summary>
    public Tensor RowMax { get; private set; } = null!;

    /// <summary>
    /// (Rows / w x Columns) maxima of contiguous groups of w rows (w = Rows without grouping); null without a
    /// column side.
    /// </summary>
    public Tensor? ColumnGroupMax { get; private set; }
    /// <summary>Rows per group (w).</summary>
    public long ColumnGroupWidth { get; private set; }
    /// <summary>Per real column: its largest similarity; null without a column side.</summary>
    public Tensor? ColumnMax { get; private set; }

    /// <summary>
    /// Summarises a filled block. <paramref name="rowGroupWidth"/> must divide the padded width (1 = no grouping);
    /// <paramref name="columnGroupWidth"/> must divide the rows (1 = no grouping; 0 = no column side).
    /// </summary>
    public static SimilarityBlock Summarize(Tensor values, long columns, long rowGroupWidth, long columnGroupWidth)
    {
        long m = values.shape[0], width = values.shape[1];
        var block = new SimilarityBlock(values, columns);
        if (rowGroupWidth <= 1) rowGroupWidth = width;
        block.RowGroupMax = values.view(m, rowGroupWidth, width / rowGroupWidth).amax(new long[] { 1 });
        block.RowGroupWidth = rowGroupWidth;
        block.RowMax = block.RowGroupMax.amax(new long[] { 1 });
        if (columnGroupWidth > 0)
        {
            if (columnGroupWidth == 1) columnGroupWidth = m;
            block.ColumnGroupMax = values.view(m / columnGroupWidth, columnGroupWidth, width).amax(new long[] { 1 }).narrow(1, 0, columns);
            block.ColumnGroupWidth = columnGroupWidth;
            block.ColumnMax = block.ColumnGroupMax.amax(new long[] { 0 });
        }
        return block;
    }
}
