using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// Runs a notebook headlessly on the real .NET Interactive kernel, in process: a <see cref="CompositeKernel"/> with the C#
/// kernel configured as VS Code's Polyglot kernel and dotnet-repl configure it (kernel helpers, value sharing,
/// <c>#!import</c>), the notebook read with <c>Microsoft.DotNet.Interactive.Documents</c>, each code cell submitted in order.
/// The kernel works in the notebook's folder, as VS Code starts it there. The run stops at the first failing cell, naming
/// it; the executed copy (written like dotnet-repl's <c>--output-format ipynb</c>) has the outputs of the cells that ran.
/// </summary>
public sealed partial class NotebookRunner(NotebookRunOptions? options = null)
{
    private static readonly SemaphoreSlim WorkingDirectoryGate = new(1, 1);
    private readonly NotebookRunOptions _options = options ?? new NotebookRunOptions();

    /// <summary>Runs the notebook at <paramref name="notebookPath"/>.</summary>
    /// <exception cref="ArgumentException">The file is missing or not an .ipynb notebook.</exception>
    public async Task<NotebookRunResult> RunAsync(string notebookPath, CancellationToken cancellationToken = default)
    {
        var path = Path.GetFullPath(notebookPath);
        if (!File.Exists(path) || !path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{notebookPath}' is not an existing .ipynb notebook", nameof(notebookPath));
        var notebook = Notebook.Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
        var name = Path.GetFileName(path);
        var executed = new InteractiveDocument();
        foreach (var (key, value) in notebook.Metadata) executed.Metadata[key] = value; // kernelspec, language_info as committed
        var timings = new List<CellTiming>();
        NotebookCellError? error = null;
        var total = Stopwatch.StartNew();

        // The process's working directory is the kernel's: one notebook at a time per process.
        await WorkingDirectoryGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var previousDirectory = Directory.GetCurrentDirectory();
        try
        {
            Directory.SetCurrentDirectory(Path.GetDirectoryName(path)!);
            using var kernel = CreateKernel(_options.Parameters);
            int number = 0;
            foreach (var element in notebook.Elements)
            {
                number++;
                var cell = new InteractiveDocumentElement(element.Contents, element.KernelName) { Id = element.Id, Metadata = element.Metadata };
                executed.Add(cell);
                if (IsMarkdown(element)) continue;
                var watch = Stopwatch.StartNew();
                var outcome = await SubmitAsync(kernel, element, cancellationToken).ConfigureAwait(false);
                timings.Add(new CellTiming(number, watch.Elapsed));
                cell.Outputs.AddRange(outcome.Outputs);
                cell.ExecutionOrder = number;
                _options.Log?.WriteLine($"  cell {number} ({watch.Elapsed.TotalSeconds:0.0} s){(outcome.Failure is null ? "" : " failed")}");
                if (outcome.Failure is { } failed)
                {
                    error = new NotebookCellError(name, number, element.Id, failed.Message, LineOf(failed), failed.Exception?.ToString());
                    break;
                }
            }
        }
        finally
        {
            Directory.SetCurrentDirectory(previousDirectory);
            WorkingDirectoryGate.Release();
        }
        var executedPath = Write(executed, name);
        return new NotebookRunResult(path, executed, executedPath, error, total.Elapsed, timings);
    }

    /// <summary>
    /// The kernel the runner submits cells to: C# with the helpers and magics VS Code's Polyglot kernel and dotnet-repl add,
    /// plus <see cref="HostInputKernel"/> holding the parameter values.
    /// </summary>
    public static CompositeKernel CreateKernel(IReadOnlyDictionary<string, string> parameters)
    {
        var composite = new CompositeKernel().UseImportMagicCommand();
        composite.Add(new CSharpKernel().UseKernelHelpers().UseWho().UseValueSharing(), ["c#", "C#"]);
        var input = new HostInputKernel(parameters);
        composite.Add(input);
        composite.SetDefaultTargetKernelNameForCommand(typeof(RequestInput), input.Name);
        composite.DefaultKernelName = "csharp";
        return composite;
    }

    /// <summary>The parameters the notebook at <paramref name="notebookPath"/> declares (<c>Parameter("name", …)</c> in any code cell).</summary>
    public static IReadOnlySet<string> DeclaredParameters(string notebookPath)
    {
        var notebook = Notebook.Parse(File.ReadAllText(notebookPath));
        return notebook.Elements.Where(e => !IsMarkdown(e))
            .SelectMany(e => Parameters.NotebookParameters.DeclaredNames(e.Contents)).ToHashSet(StringComparer.Ordinal);
    }

    private static bool IsMarkdown(InteractiveDocumentElement element) =>
        string.Equals(element.KernelName, "markdown", StringComparison.OrdinalIgnoreCase);

    private sealed record CellOutcome(IReadOnlyList<InteractiveDocumentOutputElement> Outputs, CommandFailed? Failure);

    /// <summary>Submits one cell and turns the kernel's events into outputs, as dotnet-repl's notebook runner does.</summary>
    private static async Task<CellOutcome> SubmitAsync(CompositeKernel kernel, InteractiveDocumentElement element, CancellationToken cancellationToken)
    {
        var command = new SubmitCode(element.Contents, element.KernelName);
        var outputs = new List<InteractiveDocumentOutputElement>();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        CommandFailed? failure = null;

        void FlushStreams()
        {
            if (stdout.Length == 0 && stderr.Length == 0) return;
            var text = stdout.Length > 0 && stderr.Length > 0 ? $"{stdout}\n\n{stderr}" : $"{stdout}{stderr}";
            outputs.Add(new TextElement(text, "stdout"));
            stdout.Clear();
            stderr.Clear();
        }

        using (kernel.KernelEvents.Subscribe(e =>
               {
                   switch (e)
                   {
                       case ErrorProduced produced:
                           outputs.Add(new ErrorElement("Error", produced.Message));
                           break;
                       case StandardOutputValueProduced o:
                           stdout.Append(o.FormattedValues.FirstOrDefault()?.Value);
                           break;
                       case StandardErrorValueProduced o:
                           stderr.Append(o.FormattedValues.FirstOrDefault()?.Value);
                           break;
                       case DisplayEvent display when display is not ReturnValueProduced { Value: DisplayedValue }:
                           outputs.Add(new DisplayElement(display.FormattedValues.ToDictionary(v => v.MimeType, v => (object)v.Value)));
                           break;
                       case CommandFailed failed when failed.Command == command:
                           failure = failed;
                           break;
                   }
               }))
        {
            await kernel.SendAsync(command, cancellationToken).ConfigureAwait(false);
        }
        FlushStreams();
        if (failure is not null)
            outputs.Add(new ErrorElement("Error", failure.Message, (failure.Exception?.StackTrace ?? "").Split('\n', StringSplitOptions.TrimEntries)));
        return new CellOutcome(outputs, failure);
    }

    /// <summary>The 1-based line of the error within its cell: the first compiler diagnostic's, else the stack trace's.</summary>
    internal static int? LineOf(CommandFailed failed)
    {
        var diagnostic = DiagnosticPosition().Match(failed.Message);
        if (diagnostic.Success) return int.Parse(diagnostic.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var trace = StackLine().Match(failed.Exception?.ToString() ?? "");
        return trace.Success ? int.Parse(trace.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private string? Write(InteractiveDocument executed, string notebookName)
    {
        if (_options.OutputDirectory is null) return null;
        Directory.CreateDirectory(_options.OutputDirectory);
        var target = Path.GetFullPath(Path.Combine(_options.OutputDirectory, notebookName));
        File.WriteAllText(target, executed.ToJupyterJson(), new UTF8Encoding(false));
        return target;
    }

    [GeneratedRegex(@"\((\d+),\d+\): error")]
    private static partial Regex DiagnosticPosition();

    [GeneratedRegex(@"Submission#\d+[^\n]*:line (\d+)")]
    private static partial Regex StackLine();
}
