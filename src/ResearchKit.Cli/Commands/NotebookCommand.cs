using System.CommandLine;
using System.Globalization;
using ResearchKit.Notebooks.Documents;
using ResearchKit.Notebooks.Running;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit notebook run|strip</c>: the headless notebook runner and the output stripper.</summary>
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
            Description = "Override a variable of the cell tagged 'parameters': name=value (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Folder for the executed copies (default: artifacts/notebooks).",
            DefaultValueFactory = _ => Path.Combine("artifacts", "notebooks"),
        };
        var run = new Command("run", "Execute notebooks cell by cell (Roslyn scripting) and write executed copies with outputs.");
        run.Add(paths);
        run.Add(parameters);
        run.Add(output);
        run.SetAction(parse => Run(parse.GetValue(paths)!, parse.GetValue(parameters) ?? [], parse.GetValue(output)!));
        return run;
    }

    private static Command CreateStrip()
    {
        var paths = new Argument<string[]>("paths") { Description = "Notebooks (.ipynb) or folders of notebooks.", Arity = ArgumentArity.OneOrMore };
        var check = new Option<bool>("--check") { Description = "Change nothing; exit 1 when a notebook has outputs or is not in canonical layout." };
        var strip = new Command("strip", "Remove outputs and execution counts, writing the Polyglot layout (cell ids kept).");
        strip.Add(paths);
        strip.Add(check);
        strip.SetAction(parse => Strip(parse.GetValue(paths)!, parse.GetValue(check)));
        return strip;
    }

    private static int Run(string[] paths, string[] parameterArgs, string outputDirectory)
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
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        var runner = new NotebookRunner(new NotebookRunOptions { Parameters = parameters, OutputDirectory = outputDirectory, Log = Console.Out });
        int failed = 0;
        foreach (var path in notebooks)
        {
            Console.WriteLine($"▶ {Path.GetRelativePath(Directory.GetCurrentDirectory(), path)}");
            NotebookRunResult result;
            try
            {
                result = runner.RunAsync(path).GetAwaiter().GetResult();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {Path.GetFileName(path)}: {e.Message}");
                failed++;
                continue;
            }
            var seconds = result.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            if (result.Succeeded)
                Console.WriteLine($"✓ {Path.GetFileName(path)} ({seconds} s) → {result.ExecutedPath}");
            else
            {
                failed++;
                Console.Error.WriteLine($"✗ {result.Error}");
                if (result.Error!.Detail is { } detail) Console.Error.WriteLine(detail);
                Console.Error.WriteLine($"  executed copy up to the failure: {result.ExecutedPath}");
            }
        }
        Console.WriteLine($"{notebooks.Count - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static int Strip(string[] paths, bool check)
    {
        List<string> notebooks;
        try
        {
            notebooks = paths.SelectMany(NotebookStripper.Expand).Distinct().ToList();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
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
                Console.Error.WriteLine($"not clean: {rel} (run `researchkit notebook strip {rel}`)");
            }
            else if (NotebookStripper.StripFile(path))
            {
                dirty++;
                Console.WriteLine($"stripped: {rel}");
            }
        }
        if (check) Console.WriteLine(dirty == 0 ? $"{notebooks.Count} notebooks clean" : $"{dirty} of {notebooks.Count} notebooks not clean");
        else Console.WriteLine($"{dirty} of {notebooks.Count} notebooks changed");
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
