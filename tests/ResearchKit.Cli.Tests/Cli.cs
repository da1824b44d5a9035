using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ResearchKit.Cli.Tests;

/// <summary>What a finished command printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>A running command, its output collected as it comes.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly StringBuilder stdout = new(), stderr = new();
    private readonly Lock gate = new();

    public CliProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }
    public string Stdout { get { lock (gate) return stdout.ToString(); } }
    public string Stderr { get { lock (gate) return stderr.ToString(); } }

    /// <summary>Waits until <paramref name="done"/> holds (polled), failing with the output so far after <paramref name="timeout"/>.</summary>
    public void WaitFor(Func<bool> done, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            if (Process.HasExited) throw new Xunit.Sdk.XunitException($"exited before {what}: exit {Process.ExitCode}\n{Stdout}\n{Stderr}");
            if (sw.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"no {what} after {timeout.TotalSeconds} s\n{Stdout}\n{Stderr}");
            Thread.Sleep(100);
        }
    }

    public CliResult Wait(TimeSpan timeout)
    {
        if (!Process.WaitForExit(timeout))
        {
            Process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"still running after {timeout.TotalSeconds} s\n{Stdout}\n{Stderr}");
        }
        Process.WaitForExit();   // drains the redirected output
        return new CliResult(Process.ExitCode, Stdout, Stderr);
    }

    /// <summary>Sends a POSIX signal (Process.Kill can only send SIGKILL).</summary>
    public void Signal(int signal) => Assert.Equal(0, Native.kill(Process.Id, signal));

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int sig);
    }
}

/// <summary>Runs the installed command, <c>.tools/researchkit</c> (scripts/setup.sh installs it).</summary>
public static class Cli
{
    public const int SigInt = 2, SigTerm = 15;

    /// <summary>The repository root (the folder holding ResearchKit.sln above the test binaries).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The installed command; a missing one fails the test with the fix rather than skipping it.</summary>
    public static string Command
    {
        get
        {
            var path = Path.Combine(RepoRoot, ".tools", "researchkit");
            if (!File.Exists(path))
                throw new Xunit.Sdk.XunitException($"{path} is not installed: run `bash scripts/setup.sh` (the README's test command does).");
            StaleSource ??= FindStaleSource();
            if (StaleSource.Length > 0)
                throw new Xunit.Sdk.XunitException($"{path} is older than {StaleSource}: run `bash scripts/setup.sh` to reinstall it " +
                    "(the README's test command does), so these tests check the code as it is.");
            return path;
        }
    }

    public static CliProcess Start(IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? env = null) =>
        StartProcess(Command, args, workingDirectory, env);

    public static CliProcess StartProcess(string file, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return new CliProcess(Process.Start(psi)!);
    }

    public static CliResult Run(params string[] args) => Run(args, TimeSpan.FromMinutes(5));

    public static CliResult Run(IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IDictionary<string, string>? env = null)
    {
        using var p = Start(args, workingDirectory, env);
        return p.Wait(timeout);
    }

    /// <summary>Any process (other than the test host) whose command line mentions <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Contains(text, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Child processes of <paramref name="pid"/> (from /proc/*/stat).</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int child)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == pid) children.Add(child);
            }
            catch (IOException) { }
        }
        return children;
    }

    /// <summary>A small glyphs-tiny config: seconds per epoch on one core.</summary>
    public static string WriteQuickConfig(string folder, int epochs)
    {
        var path = Path.Combine(folder, "quick.json");
        File.WriteAllText(path, $$"""
            {"dataset": "glyphs-tiny", "backbone": "glyph-cnn-small", "embeddingSize": 32, "batchSize": 32, "epochs": {{epochs}},
             "learningRate": 0.001, "warmupEpochs": 0, "batchNormFreeze": "none", "threads": 1, "deviationEveryEpochs": 0}
            """);
        return path;
    }

    private static string? StaleSource;

    // The same rule as scripts/install-cli.sh --if-stale: a C# source or project file newer than the installation stamp.
    private static string FindStaleSource()
    {
        var stamp = new FileInfo(Path.Combine(RepoRoot, ".tools", "researchkit-app", ".installed"));
        if (!stamp.Exists) return "its installation stamp (missing)";
        return Directory.EnumerateFiles(Path.Combine(RepoRoot, "src"), "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs") || f.EndsWith(".csproj")) && !f.Contains("/bin/") && !f.Contains("/obj/"))
            .FirstOrDefault(f => File.GetLastWriteTimeUtc(f) > stamp.LastWriteTimeUtc) ?? "";
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ResearchKit.sln"))) return d.FullName;
        throw new InvalidOperationException($"no ResearchKit.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rk-cli-" + Guid.NewGuid().ToString("N")[..12]);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
