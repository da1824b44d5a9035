namespace ResearchKit.Notebooks.Running;

/// <summary>The first failure of a notebook run: which notebook, cell and line, and the kernel's error.</summary>
/// <param name="Notebook">The notebook's file name.</param>
/// <param name="CellNumber">1-based cell number in the notebook (markdown cells count).</param>
/// <param name="CellId">The cell id, if any.</param>
/// <param name="Message">The kernel's message: compiler diagnostics (<c>(line,col): error CSxxxx: ...</c>) or the exception.</param>
/// <param name="Line">1-based line within the cell (or imported file) where the error is, when the kernel says.</param>
/// <param name="Detail">The stack trace, for runtime errors.</param>
public sealed record NotebookCellError(string Notebook, int CellNumber, string? CellId, string Message, int? Line = null, string? Detail = null)
{
    /// <summary>One line naming notebook, cell and error, e.g. <c>nb.ipynb, cell 3 (id ab12), line 2: (2,1): error CS0103: ...</c>.</summary>
    public override string ToString()
    {
        var id = CellId is null ? "" : $" (id {CellId})";
        var line = Line is null ? "" : $", line {Line}";
        return $"{Notebook}, cell {CellNumber}{id}{line}: {Message}";
    }
}

/// <summary>Thrown by <see cref="NotebookRunResult.EnsureSuccess"/> when a notebook failed.</summary>
public sealed class NotebookRunException(NotebookCellError error) : Exception(error.ToString())
{
    /// <summary>The failure.</summary>
    public NotebookCellError Error { get; } = error;
}
