using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ResearchKit.Data.Tests;

/// <summary>Runs the real <c>data-scripts/*.sh</c> with bash against a temporary data root, isolated from the caller's environment.</summary>
public static class ScriptHarness
{
    /// <summary>The repository's data-scripts folder, found by walking up from the test binaries.</summary>
    public static string ScriptsDirectory { get; } = FindScripts();

    /// <summary>A script's exit code and its output (stdout and stderr).</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Both streams, for messages and assertion failures.</summary>
        public string Output => Stdout + Stderr;
        /// <inheritdoc />
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
    }

    /// <summary>Runs <paramref name="script"/> with <c>RESEARCHKIT_DATA=<paramref name="dataRoot"/></c> and the given extra variables.</summary>
    public static Result Run(string script, string dataRoot, IReadOnlyDictionary<string, string>? env = null, params string[] args) =>
        RunBash([Path.Combine(ScriptsDirectory, script), .. args], dataRoot, env);

    /// <summary>Runs a bash snippet (e.g. sourcing common.sh) the same way.</summary>
    public static Result RunSnippet(string snippet, string dataRoot, IReadOnlyDictionary<string, string>? env = null) =>
        RunBash(["-c", snippet], dataRoot, env);

    private static Result RunBash(string[] args, string dataRoot, IReadOnlyDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Overrides set in the developer's shell must not leak into the tests.
        foreach (var key in psi.Environment.Keys.ToList())
            if (key.StartsWith("RESEARCHKIT_", StringComparison.Ordinal) || key is "SOP_URL" or "CARS_URL_BASE") psi.Environment.Remove(key);
        psi.Environment["RESEARCHKIT_DATA"] = dataRoot;
        psi.Environment["HOME"] = Path.GetDirectoryName(dataRoot)!;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"bash {string.Join(' ', args)} ran over 120 s"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Packs <paramref name="parent"/>/<paramref name="top"/> into a .tgz whose entries start with <c>top/</c>.</summary>
    public static string TarGz(string parent, string top, string archive)
    {
        using (var file = File.Create(archive))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(Path.Combine(parent, top), gz, includeBaseDirectory: true);
        return archive;
    }

    /// <summary>Packs the contents of <paramref name="folder"/> into a zip (entries relative to the folder).</summary>
    public static string Zip(string folder, string archive)
    {
        ZipFile.CreateFromDirectory(folder, archive, CompressionLevel.Fastest, includeBaseDirectory: false);
        return archive;
    }

    /// <summary>A file:// URL.</summary>
    public static string FileUrl(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Lower-case hex MD5 of a file.</summary>
    public static string Md5(string path) => Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(path)));

    /// <summary>Leftover temporary extraction folders under a data root (there must never be any after a run).</summary>
    public static string[] StagingLeftovers(string dataRoot) =>
        Directory.Exists(dataRoot) ? Directory.GetDirectories(dataRoot, ".extract-*") : [];

    private static string FindScripts()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data-scripts");
            if (File.Exists(Path.Combine(candidate, "common.sh"))) return candidate;
        }
        throw new DirectoryNotFoundException($"data-scripts/common.sh not found above '{AppContext.BaseDirectory}'.");
    }
}
