using System.Diagnostics;

namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// The dotnet-repl pinned in .config/dotnet-tools.json, run exactly as a user runs it: from the repository root,
/// <c>dotnet tool run dotnet-repl --run notebooks/&lt;nb&gt; --exit-after-run --input … --output-format ipynb --output-path …</c>.
/// </summary>
internal static class DotnetRepl
{
    private static readonly Lazy<string?> RestoreFailure = new(Restore);

    /// <summary>What a run gave: exit code, wall time and console text.</summary>
    public sealed record Run(int ExitCode, TimeSpan Elapsed, string Output);

    /// <summary>Runs <paramref name="notebook"/> (relative to the repository root) with <paramref name="inputs"/>, writing <paramref name="outputPath"/>.</summary>
    public static Run Execute(string notebook, string outputPath, IReadOnlyDictionary<string, string> inputs, TimeSpan timeout)
    {
        EnsureToolsRestored();
        var args = new List<string> { "tool", "run", "dotnet-repl", "--run", notebook, "--exit-after-run" };
        foreach (var (name, value) in inputs) args.AddRange(["--input", $"{name}={value}"]);
        args.AddRange(["--output-format", "ipynb", "--output-path", outputPath]);
        return Dotnet(args, timeout);
    }

    /// <summary>Fails the test, with the tool's own message, when the local tools (dotnet-repl, dotnet-interactive) cannot be restored.</summary>
    public static void EnsureToolsRestored()
    {
        if (RestoreFailure.Value is { } failure) Assert.Fail(failure);
    }

    /// <summary>
    /// <c>dotnet tool restore</c> once per test run (what the set-up script does; quick when the tool is there), so a
    /// checkout without it fails here with the tool's own message rather than in every notebook.
    /// </summary>
    private static string? Restore()
    {
        var run = Dotnet(["tool", "restore"], TimeSpan.FromMinutes(5));
        return run.ExitCode == 0 ? null
            : $"`dotnet tool restore` failed (exit {run.ExitCode}) in {RepoPaths.Root}: the notebook tests need dotnet-repl and dotnet-interactive from " +
              $".config/dotnet-tools.json (a NuGet feed that serves dotnet-repl 0.3.259 and Microsoft.dotnet-interactive 1.0.712001).\n{run.Output}";
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="args"/> in the repository root; fails the test when it outlives <paramref name="timeout"/>.</summary>
    public static Run Dotnet(IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`dotnet {string.Join(' ', info.ArgumentList)}` did not finish within {timeout.TotalMinutes:0} min");
        }
        process.WaitForExit();
        return new Run(process.ExitCode, watch.Elapsed, stdout.Result + stderr.Result);
    }
}
