namespace ResearchKit.Notebooks.Running;

/// <summary>What went wrong in a failing cell.</summary>
public enum CellErrorKind
{
    /// <summary>The C# did not compile.</summary>
    Compilation,
    /// <summary>The cell threw.</summary>
    Runtime,
    /// <summary>A directive or magic command could not be honoured (unsupported magic, <c>#r nuget</c>, missing import).</summary>
    Directive,
    /// <summary>The cell uses a kernel other than C#.</summary>
    Kernel,
}

/// <summary>The first failure of a notebook run: which notebook and cell, and the compiler or runtime error.</summary>
/// <param name="Notebook">The notebook's file name.</param>
/// <param name="CellNumber">1-based cell number in the committed notebook (markdown cells count); 0 for the injected-parameters cell.</param>
/// <param name="CellId">The cell id, if any.</param>
/// <param name="Kind">Compilation, runtime, directive or kernel error.</param>
/// <param name="Message">The diagnostics (<c>(line,col): error CSxxxx: ...</c>, lines within the cell) or <c>ExceptionType: message</c>.</param>
/// <param name="Line">1-based line within the cell (or imported file) where the error is, when known.</param>
/// <param name="ImportedFile">The file imported with <c>#!import</c> in which the error is, if it is not in the cell itself.</param>
/// <param name="Detail">The full exception text (with stack trace) for runtime errors.</param>
public sealed record NotebookCellError(
    string Notebook, int CellNumber, string? CellId, CellErrorKind Kind, string Message, int? Line = null, string? ImportedFile = null, string? Detail = null)
{
    /// <summary>One line naming notebook, cell and error, e.g. <c>nb.ipynb, cell 3 (id ab12), line 2: compilation error: ...</c>.</summary>
    public override string ToString()
    {
        var where = CellNumber == 0 ? "injected-parameters cell" : $"cell {CellNumber}";
        var id = CellId is null ? "" : $" (id {CellId})";
        var file = ImportedFile is null ? "" : $", in {ImportedFile}";
        var line = Line is null ? "" : $", line {Line}";
        return $"{Notebook}, {where}{id}{file}{line}: {Kind.ToString().ToLowerInvariant()} error: {Message}";
    }
}

/// <summary>Thrown by <see cref="NotebookRunResult.EnsureSuccess"/> when a notebook failed.</summary>
public sealed class NotebookRunException(NotebookCellError error) : Exception(error.ToString())
{
    /// <summary>The failure.</summary>
    public NotebookCellError Error { get; } = error;
}

/// <summary>Internal carrier of a cell failure up to the runner loop.</summary>
internal sealed class CellFailure(CellErrorKind kind, string message, int? line = null, string? importedFile = null, string? detail = null, string? errorName = null)
    : Exception(message)
{
    public CellErrorKind Kind { get; } = kind;
    public int? Line { get; } = line;
    public string? ImportedFile { get; } = importedFile;
    public string? Detail { get; } = detail;
    public string ErrorName { get; } = errorName ?? kind + "Error";
}
