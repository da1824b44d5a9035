using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;
using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Formatting;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// Runs a C# <c>.ipynb</c> headlessly on Roslyn scripting (spec §2.9): cells in order as chained submissions, the
/// parameters cell overridden papermill-style, <c>#!import</c>/<c>#load</c>/<c>#r</c> relative to the notebook folder,
/// <c>display(...)</c>, return values and console output captured as outputs, and a stop at the first failing cell.
/// </summary>
/// <remarks>
/// The process's current directory is the notebook folder while a notebook runs (as VS Code starts its kernel there), so
/// runs in one process are serialized.
/// </remarks>
public sealed class NotebookRunner(NotebookRunOptions? options = null)
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);
    private readonly NotebookRunOptions _options = options ?? new NotebookRunOptions();

    /// <summary>Runs the notebook at <paramref name="notebookPath"/>; failures are reported in the result, not thrown.</summary>
    /// <exception cref="ArgumentException">Parameters do not match the notebook, or the output path is the notebook itself.</exception>
    public async Task<NotebookRunResult> RunAsync(string notebookPath, CancellationToken cancellationToken = default)
    {
        var fullPath = Path.GetFullPath(notebookPath);
        var source = NotebookDocument.Load(fullPath);
        var executed = source.Clone();
        var plan = Plan(executed);
        var executedPath = ExecutedPath(fullPath);

        var timings = new List<CellTiming>();
        NotebookCellError? error = null;
        var total = Stopwatch.StartNew();
        await OneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        var previousDirectory = Directory.GetCurrentDirectory();
        try
        {
            Directory.SetCurrentDirectory(Path.GetDirectoryName(fullPath)!);
            NotebookFormatters.Register();
            var globals = new NotebookGlobals();
            var session = new ScriptSession(fullPath, globals);
            int executionCount = 0;
            foreach (var (cell, number) in plan)
            {
                if (cell["cell_type"]?.GetValue<string>() != "code") continue;
                var view = executed.Cells.First(c => ReferenceEquals(c.Json, cell));
                var outputs = new CellOutputs();
                globals.CurrentOutputs = outputs;
                var watch = Stopwatch.StartNew();
                cell["execution_count"] = ++executionCount;
                try
                {
                    if (view.Kernel != KernelNames.CSharp)
                        throw new CellFailure(CellErrorKind.Kernel, $"the cell uses kernel '{view.Kernel}'; the runner runs only C# (csharp) cells");
                    using (ConsoleCapture.Begin(outputs))
                        await RunSegmentsAsync(session, globals, outputs, view.Source, null, [], cancellationToken).ConfigureAwait(false);
                    _options.Log?.WriteLine($"  {Label(number)} ok ({watch.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s)");
                }
                catch (CellFailure f)
                {
                    outputs.AddError(f.ErrorName, f.Message, f.Detail ?? f.Message);
                    error = new NotebookCellError(source.Name, number, cell["id"]?.GetValue<string>(), f.Kind, f.Message, f.Line, f.ImportedFile, f.Detail);
                    _options.Log?.WriteLine($"  {Label(number)} FAILED: {error}");
                }
                finally
                {
                    cell["outputs"] = outputs.ToJson();
                    globals.CurrentOutputs = null;
                    timings.Add(new CellTiming(number, watch.Elapsed));
                }
                if (error is not null) break;
            }
        }
        finally
        {
            Directory.SetCurrentDirectory(previousDirectory);
            OneAtATime.Release();
        }

        if (executedPath is not null) executed.Save(executedPath);
        return new NotebookRunResult(fullPath, executed, executedPath, error, total.Elapsed, timings);
    }

    private static string Label(int number) => number == 0 ? "injected parameters" : $"cell {number}";

    private string? ExecutedPath(string notebookPath)
    {
        if (_options.OutputDirectory is null) return null;
        var path = Path.GetFullPath(Path.Combine(_options.OutputDirectory, Path.GetFileName(notebookPath)));
        if (string.Equals(path, notebookPath, StringComparison.Ordinal))
            throw new ArgumentException($"the executed copy would overwrite the notebook itself ({path}); choose another output folder",
                nameof(NotebookRunOptions.OutputDirectory));
        return path;
    }

    /// <summary>The cells to run with their committed numbers, the injected-parameters cell inserted (number 0).</summary>
    private List<(JsonObject Cell, int Number)> Plan(NotebookDocument executed)
    {
        var cells = (JsonArray)executed.Json["cells"]!;
        var plan = executed.Cells.Select(c => (c.Json, c.Number)).ToList();
        if (_options.Parameters.Count == 0) return plan;
        var parametersCell = executed.Cells.FirstOrDefault(c => c.IsCode && c.Tags.Contains(ParameterInjection.ParametersTag))
            ?? throw new ArgumentException(
                $"{executed.Name} has no cell tagged '{ParameterInjection.ParametersTag}', so parameters cannot be set",
                nameof(NotebookRunOptions.Parameters));
        var injected = NotebookCells.NewCode(
            ParameterInjection.BuildSource(parametersCell.Source, _options.Parameters), ParameterInjection.InjectedTag, [ParameterInjection.InjectedTag]);
        var index = parametersCell.Number - 1;
        cells.Insert(index + 1, injected);
        plan.Insert(index + 1, (injected, 0));
        return plan;
    }

    private async Task RunSegmentsAsync(ScriptSession session, NotebookGlobals globals, CellOutputs outputs, string source,
        string? importedFile, HashSet<string> importChain, CancellationToken ct)
    {
        IReadOnlyList<CellSegment> segments;
        try
        {
            segments = CellPreprocessor.Split(source);
        }
        catch (CellFailure f) when (importedFile is not null)
        {
            throw new CellFailure(f.Kind, f.Message, f.Line, importedFile);
        }
        foreach (var segment in segments)
        {
            switch (segment)
            {
                case ImportSegment import:
                    await ImportAsync(session, globals, outputs, import, importedFile, importChain, ct).ConfigureAwait(false);
                    break;
                case CodeSegment code:
                    await SubmitAsync(session, globals, outputs, code, importedFile, ct).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task ImportAsync(ScriptSession session, NotebookGlobals globals, CellOutputs outputs, ImportSegment import,
        string? importedFile, HashSet<string> importChain, CancellationToken ct)
    {
        // dotnet-interactive resolves #!import against the kernel's working directory: the notebook folder.
        var path = Path.GetFullPath(import.Path);
        if (!File.Exists(path))
            throw new CellFailure(CellErrorKind.Directive, $"#!import: file not found: {import.Path} (resolved to {path})", import.FirstLine + 1, importedFile);
        if (!importChain.Add(path))
            throw new CellFailure(CellErrorKind.Directive, $"#!import: {import.Path} imports itself (cycle)", import.FirstLine + 1, importedFile);
        try
        {
            var name = Path.GetFileName(path);
            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".csx":
                case ".cs":
                    await RunSegmentsAsync(session, globals, outputs, await File.ReadAllTextAsync(path, ct).ConfigureAwait(false), name, importChain, ct).ConfigureAwait(false);
                    break;
                case ".ipynb":
                    // Each C# cell of an imported notebook is its own submission, as in dotnet-interactive.
                    foreach (var cell in NotebookDocument.Load(path).Cells.Where(c => c.IsCode && c.Kernel == KernelNames.CSharp))
                        await RunSegmentsAsync(session, globals, outputs, cell.Source, $"{name} cell {cell.Number}", importChain, ct).ConfigureAwait(false);
                    break;
                default:
                    throw new CellFailure(CellErrorKind.Directive, $"#!import: unsupported file type '{Path.GetExtension(path)}' (use .csx, .cs or .ipynb)",
                        import.FirstLine + 1, importedFile);
            }
        }
        finally
        {
            importChain.Remove(path);
        }
    }

    private static async Task SubmitAsync(ScriptSession session, NotebookGlobals globals, CellOutputs outputs, CodeSegment code,
        string? importedFile, CancellationToken ct)
    {
        (bool HasValue, object? Value) result;
        try
        {
            result = await session.RunAsync(code.Code, ct).ConfigureAwait(false);
        }
        catch (CompilationErrorException e)
        {
            var errors = e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var lines = errors.Select(d =>
            {
                var pos = d.Location.GetLineSpan().StartLinePosition;
                return $"({pos.Line + 1 + code.FirstLine},{pos.Character + 1}): error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
            });
            int? line = errors.Count > 0 ? errors[0].Location.GetLineSpan().StartLinePosition.Line + 1 + code.FirstLine : null;
            throw new CellFailure(CellErrorKind.Compilation, string.Join("\n", lines), line, importedFile, errorName: "CompilationError");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            var line = ScriptLine(e, session.FilePath);
            throw new CellFailure(CellErrorKind.Runtime, $"{e.GetType().FullName}: {e.Message}", line + (line is null ? 0 : code.FirstLine),
                importedFile, e.ToString(), e.GetType().Name);
        }
        if (result.HasValue) outputs.AddDisplay(DisplayFormatting.Format(result.Value, []));
    }

    /// <summary>The line of the innermost stack frame inside the submission code, when debug information has it.</summary>
    private static int? ScriptLine(Exception e, string filePath)
    {
        var frames = new StackTrace(e, fNeedFileInfo: true).GetFrames();
        var frame = frames.FirstOrDefault(f => string.Equals(f.GetFileName(), filePath, StringComparison.Ordinal) && f.GetFileLineNumber() > 0);
        return frame?.GetFileLineNumber();
    }
}
