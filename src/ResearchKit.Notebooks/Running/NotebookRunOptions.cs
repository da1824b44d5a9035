using Microsoft.DotNet.Interactive.Documents;

namespace ResearchKit.Notebooks.Running;

/// <summary>How to run a notebook.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>Parameter values by name (text), read by the notebook's <c>Parameter("name", default)</c> declarations.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Folder for the executed copy (<c>&lt;name&gt;.ipynb</c>); null writes none. Never the notebook's own file.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Progress lines (one per cell); null for silence.</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>The outcome of one notebook run.</summary>
/// <param name="NotebookPath">The notebook that ran.</param>
/// <param name="Executed">The executed copy: the cells that ran, with their outputs, in Polyglot/dotnet-repl layout.</param>
/// <param name="ExecutedPath">Where the executed copy was written, if it was.</param>
/// <param name="Error">The first failure; null when every cell ran.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
/// <param name="Cells">Wall time per executed code cell.</param>
public sealed record NotebookRunResult(string NotebookPath, InteractiveDocument Executed, string? ExecutedPath, NotebookCellError? Error,
    TimeSpan Elapsed, IReadOnlyList<CellTiming> Cells)
{
    /// <summary>True when every cell ran.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Throws <see cref="NotebookRunException"/> when the run failed.</summary>
    public NotebookRunResult EnsureSuccess() => Error is null ? this : throw new NotebookRunException(Error);
}

/// <summary>Wall time of one executed cell.</summary>
/// <param name="CellNumber">1-based cell number in the notebook.</param>
/// <param name="Elapsed">Compile plus run time.</param>
public sealed record CellTiming(int CellNumber, TimeSpan Elapsed);
