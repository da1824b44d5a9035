using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Running;

/// <summary>How to run a notebook.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>Overrides of the parameters cell, as text (see <see cref="ParameterInjection"/>).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Folder for the executed copy (<c>&lt;name&gt;.ipynb</c>); null writes none. Never the notebook's own file.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Progress lines (one per cell); null for silence.</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>The outcome of one notebook run.</summary>
public sealed class NotebookRunResult
{
    internal NotebookRunResult(string notebookPath, NotebookDocument executed, string? executedPath, NotebookCellError? error,
        TimeSpan elapsed, IReadOnlyList<CellTiming> cells)
    {
        NotebookPath = notebookPath;
        Executed = executed;
        ExecutedPath = executedPath;
        Error = error;
        Elapsed = elapsed;
        Cells = cells;
    }

    /// <summary>The notebook that ran.</summary>
    public string NotebookPath { get; }

    /// <summary>The executed copy: outputs and execution counts filled in, the injected-parameters cell inserted.</summary>
    public NotebookDocument Executed { get; }

    /// <summary>Where the executed copy was written, if it was.</summary>
    public string? ExecutedPath { get; }

    /// <summary>The first failure; null when every cell ran.</summary>
    public NotebookCellError? Error { get; }

    /// <summary>True when every cell ran.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Wall time of the whole run.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Wall time per executed code cell.</summary>
    public IReadOnlyList<CellTiming> Cells { get; }

    /// <summary>Throws <see cref="NotebookRunException"/> when the run failed.</summary>
    public NotebookRunResult EnsureSuccess() => Error is null ? this : throw new NotebookRunException(Error);
}

/// <summary>Wall time of one executed cell.</summary>
/// <param name="CellNumber">1-based cell number in the committed notebook (0: injected parameters).</param>
/// <param name="Elapsed">Compile plus run time.</param>
public sealed record CellTiming(int CellNumber, TimeSpan Elapsed);
