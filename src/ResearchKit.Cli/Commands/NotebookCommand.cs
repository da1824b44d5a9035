using System.CommandLine;
using System.Globalization;
using ResearchKit.Cli.Infrastructure;
using ResearchKit.Notebooks.Cells;
using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Running;

namespace ResearchKit.Cli.Commands;

/// <summary>
/// <c>researchkit notebook run|strip</c>: the headless notebook runner and the output stripper. <c>run</c> exits 0 when every
/// notebook ran, 1 when a cell failed (the message names notebook, cell and error), 2 on bad arguments (nothing ran);
/// <c>strip --check</c> exits 1 when a notebook is not clean.
/// </summary>
public static class NotebookCommand
{
    /// <summary>The <c>notebook</c> command group.</summary>
    public static Command Build()
    {
        var notebook = new Command("notebook", "Run notebooks headlessly, or strip their outputs.");
        notebook.Add(CreateRun());
        notebook.Add(CreateStrip());
        return notebook;
    }

    private static Command CreateRun()
    {
        var paths = new Argument<string[]>("paths") { Description = "Notebooks (.ipynb) or folders of notebooks.", Arity = ArgumentArity.OneOrMore };
        var parameters = new Option<string[]>("--param", "-p")
        {
            Description = "Override a notebook parameter (declared with Parameter(\"name\", default)): name=value (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Folder for the executed copies (default: artifacts/notebooks).",
            DefaultValueFactory = _ => Path.Combine("artifacts", "notebooks"),
        };
        var run = new Command("run", "Execute notebooks cell by cell on the .NET Interactive C# kernel and write executed copies with outputs.");
        run.Add(paths);
        run.Add(parameters);
        run.Add(output);
        run.SetAction(parse => Run(parse.GetValue(paths)!, parse.GetValue(parameters) ?? [], parse.GetValue(output)!,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return run;
    }

    private static Command CreateStrip()
    {
        var paths = new Argument<string[]>("paths") { Description = "Notebooks (.ipynb) or folders of notebooks.", Arity = ArgumentArity.OneOrMore };
        var check = new Option<bool>("--check") { Description = "Change nothing; exit 1 when a notebook has outputs or is not in canonical layout." };
        var strip = new Command("strip", "Remove outputs and execution counts, writing the Polyglot layout (cell ids kept).");
        strip.Add(paths);
        strip.Add(check);
        strip.SetAction(parse => Strip(parse.GetValue(paths)!, parse.GetValue(check), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return strip;
    }

    // Exit codes: 0 every notebook ran; 1 a cell failed; 2 bad arguments (nothing ran).
    private static int Run(string[] paths, string[] parameterArgs, string outputDirectory, TextWriter stdout, TextWriter stderr)
    {
        Dictionary<string, string> parameters;
        List<string> notebooks;
        try
        {
            parameters = ParseParameters(parameterArgs);
            notebooks = paths.SelectMany(NotebookStripper.Expand)
                .Where(p => !Path.GetFileName(p).StartsWith('_')) // _name.ipynb: include files, not notebooks to run
                .Distinct().ToList();
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        if (UndeclaredParameters(notebooks, parameters, stderr)) return 2;
        var runner = new NotebookRunner(new NotebookRunOptions { Parameters = parameters, OutputDirectory = outputDirectory, Log = stdout });
        // Training inside a notebook's cells stops at the next step on Ctrl+C / SIGTERM, its epochs checkpointed.
        // (No signals are installed when the command tree runs inside another host, e.g. the tests.)
        var signals = (StopSignals?)StopSignals.Current;
        var stopToken = signals?.Token ?? CancellationToken.None;
        ExperimentCells.HostStop = stopToken;
        int failed = 0;
        foreach (var path in notebooks)
        {
            if (signals?.Received is not null) break;   // stopped: no further notebook
            stdout.WriteLine($"▶ {Path.GetRelativePath(Directory.GetCurrentDirectory(), path)}");
            NotebookRunResult result;
            try
            {
                result = runner.RunAsync(path).GetAwaiter().GetResult();   // a stop ends the cell's training (HostStop), not the kernel
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"error: {Path.GetFileName(path)}: {e.Message}");
                failed++;
                continue;
            }
            var seconds = result.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            if (result.Succeeded)
                stdout.WriteLine($"✓ {Path.GetFileName(path)} ({seconds} s) → {result.ExecutedPath}");
            else
            {
                failed++;
                stderr.WriteLine($"✗ {result.Error}");
                if (result.Error!.Detail is { } detail) stderr.WriteLine(detail);
                stderr.WriteLine($"  executed copy up to the failure: {result.ExecutedPath}");
            }
        }
        if (signals?.Received is not null)
        {
            stderr.WriteLine("stopped: the notebook's runs keep their checkpointed epochs; the same command continues them");
            return signals.ExitCode;
        }
        stdout.WriteLine($"{notebooks.Count - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// Every --param goes to every notebook of the run, so each must declare it in its parameters cell. Checked for all
    /// notebooks before any runs, so a folder run does not fail on its fifth notebook an hour in. True when one does not.
    /// </summary>
    private static bool UndeclaredParameters(IReadOnlyList<string> notebooks, IReadOnlyDictionary<string, string> parameters, TextWriter stderr)
    {
        if (parameters.Count == 0) return false;
        bool any = false;
        foreach (var path in notebooks)
        {
            IReadOnlySet<string> declared;
            try
            {
                declared = NotebookRunner.DeclaredParameters(path);
            }
            catch (Exception e) when (e is ArgumentException or IOException or System.Text.Json.JsonException)
            {
                stderr.WriteLine($"error: {Path.GetFileName(path)}: {e.Message}");
                any = true;
                continue;
            }
            var missing = parameters.Keys.Where(k => !declared.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (missing.Count == 0) continue;
            any = true;
            stderr.WriteLine(declared.Count == 0
                ? $"error: {Path.GetFileName(path)} declares no parameters (Parameter(\"name\", default)), so it takes no --param ({string.Join(", ", missing)})"
                : $"error: {Path.GetFileName(path)} does not declare {string.Join(", ", missing.Select(m => $"'{m}'"))} with Parameter(\"name\", default) " +
                  $"(it declares: {string.Join(", ", declared.Order(StringComparer.Ordinal))})");
        }
        if (any && notebooks.Count > 1)
            stderr.WriteLine("Every --param is passed to every notebook of the run: declare it in each one, or run those notebooks on their own. Nothing ran.");
        return any;
    }

    private static int Strip(string[] paths, bool check, TextWriter stdout, TextWriter stderr)
    {
        List<string> notebooks;
        try
        {
            notebooks = paths.SelectMany(NotebookStripper.Expand).Distinct().ToList();
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        int dirty = 0;
        foreach (var path in notebooks)
        {
            var rel = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
            if (check)
            {
                if (NotebookStripper.IsClean(path)) continue;
                dirty++;
                stderr.WriteLine($"not clean: {rel} (run `researchkit notebook strip {rel}`)");
            }
            else if (NotebookStripper.StripFile(path))
            {
                dirty++;
                stdout.WriteLine($"stripped: {rel}");
            }
        }
        if (check) stdout.WriteLine(dirty == 0 ? $"{notebooks.Count} notebooks clean" : $"{dirty} of {notebooks.Count} notebooks not clean");
        else stdout.WriteLine($"{dirty} of {notebooks.Count} notebooks changed");
        return check && dirty > 0 ? 1 : 0;
    }

    /// <summary>Parses <c>name=value</c> pairs; a later pair overrides an earlier one.</summary>
    /// <exception cref="ArgumentException">A pair has no '=' or an empty name.</exception>
    public static Dictionary<string, string> ParseParameters(IEnumerable<string> pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"--param expects name=value, got '{pair}'", nameof(pairs));
            result[pair[..eq].Trim()] = pair[(eq + 1)..];
        }
        return result;
    }
}
