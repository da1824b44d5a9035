using System.Diagnostics;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Runs;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// Trains a notebook's missing runs through the <c>researchkit run</c> command, which spreads them over worker
/// processes (<c>--jobs auto</c>: on the CPU profiles one run per core). A kernel trains one run at a time (torch's
/// generator and thread count are process-wide, so runs cannot share a process), which left one of two cores idle on
/// the CPU profiles. The runs land in the same results folder with the same numbers (the CLI's lanes are tested file for
/// file against one process), so the notebook then loads them as if it had trained them itself.
/// </summary>
public static class CliLanes
{
    /// <summary>Environment variable naming the <c>researchkit</c> executable; <c>off</c> trains in the kernel instead.</summary>
    public const string EnvironmentVariable = "RESEARCHKIT_CLI";

    /// <summary>
    /// The <c>researchkit</c> executable: $RESEARCHKIT_CLI, else <c>.tools/researchkit</c> in the working folder or one of
    /// its parents (where <c>scripts/setup.sh</c> installs it), else <c>researchkit</c> on the PATH; null when none
    /// exists or the variable says <c>off</c>.
    /// </summary>
    public static string? Locate() => Locate(Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.CurrentDirectory,
        Environment.GetEnvironmentVariable("PATH"));

    /// <summary><see cref="Locate()"/> with the variable's value, the working folder and the PATH given.</summary>
    public static string? Locate(string? variable, string workingDirectory, string? path)
    {
        if (string.Equals(variable, "off", StringComparison.OrdinalIgnoreCase)) return null;
        if (!string.IsNullOrWhiteSpace(variable)) return File.Exists(variable) ? Path.GetFullPath(variable) : null;
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "researchkit");
            if (File.Exists(candidate)) return candidate;
        }
        return (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "researchkit")).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Why <paramref name="cli"/> must not train this kernel's runs, or null when it may: it must be the same build of the
    /// kit (the same module version ids of ResearchKit.dll and ResearchKit.Training.dll in its folder, which deterministic
    /// builds keep for the same sources), so that a stale install never writes runs with other code into the results.
    /// </summary>
    public static string? Mismatch(string cli)
    {
        var folder = AppFolder(cli);
        foreach (var assembly in new[] { typeof(ResearchKit.Metrics.RetrievalEvaluator).Assembly, typeof(ExperimentRunner).Assembly })
        {
            var file = Path.Combine(folder, Path.GetFileName(assembly.Location));
            if (!File.Exists(file)) return $"{file} not found";
            using var stream = File.OpenRead(file);
            using var pe = new PEReader(stream);
            var metadata = pe.GetMetadataReader();
            if (metadata.GetGuid(metadata.GetModuleDefinition().Mvid) != assembly.ManifestModule.ModuleVersionId)
                return $"{file} is another build than this kernel's {assembly.Location} (run scripts/setup.sh to update the command)";
        }
        return null;
    }

    // scripts/install-cli.sh installs a launcher script beside the app folder researchkit-app/.
    private static string AppFolder(string cli)
    {
        var resolved = new FileInfo(cli).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(cli);
        var dir = Path.GetDirectoryName(resolved)!;
        var app = Path.Combine(dir, "researchkit-app");
        return Directory.Exists(app) ? app : dir;
    }

    /// <summary>
    /// Lanes worth starting: the cores over the profile's libtorch threads per run, on a CPU profile with at least two
    /// runs missing; 1 (train in the kernel) otherwise.
    /// </summary>
    public static int Lanes(ExperimentProfile profile, int missingRuns, int cores)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!profile.Base.Device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase) || profile.Base.Threads < 1) return 1;
        return Math.Max(1, Math.Min(missingRuns, cores / profile.Base.Threads));
    }

    /// <summary>The planned runs of the experiment in <paramref name="outRoot"/> that have no result yet.</summary>
    public static int MissingRuns(Experiment experiment, ExperimentProfile profile, int seeds, string outRoot)
    {
        var folder = ExperimentRunner.OutputFolder(outRoot, experiment, profile);
        return experiment.Plan(profile, seeds).Count(p => !File.Exists(Path.Combine(folder, p.RelativePath, RunLayout.Result)));
    }

    /// <summary>
    /// Runs <c>researchkit run</c> for the experiment with <c>--jobs auto</c> and forwards its lines to
    /// <paramref name="log"/>. The command watches its standard input: closing it (this process ending, even killed) or
    /// <paramref name="cancellation"/> stops it and its workers at the next step, with their epochs checkpointed.
    /// </summary>
    /// <param name="cli">The <c>researchkit</c> executable (<see cref="Locate()"/>).</param>
    /// <param name="experiment">The registry experiment.</param>
    /// <param name="profile">A registry profile, unchanged (the command knows it by name).</param>
    /// <param name="seeds">Seeds per row.</param>
    /// <param name="outRoot">The results root (<c>--out</c>).</param>
    /// <param name="log">Receives the command's lines, standard output and error.</param>
    /// <param name="cancellation">Sends the command a stop request.</param>
    /// <param name="variants">Only these rows of the registry's experiment (<c>--variant</c>); null: every row.</param>
    /// <returns>The command's exit code (0: every run finished).</returns>
    public static int Run(string cli, Experiment experiment, ExperimentProfile profile, int seeds, string outRoot,
        Action<string> log, CancellationToken cancellation = default, IReadOnlyList<string>? variants = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(log);
        var psi = new ProcessStartInfo(cli)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["run", experiment.Name, "--profile", profile.Name, "--seeds", $"{seeds}", "--out", outRoot,
                     "--jobs", "auto", "--stdin-lifeline"])
            psi.ArgumentList.Add(a);
        // The rows the notebook asked for (it may have filtered the registry's experiment).
        if (variants is not null)
            foreach (var v in variants)
            {
                psi.ArgumentList.Add("--variant");
                psi.ArgumentList.Add(v);
            }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {cli}");
        var gate = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) log(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) log(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var onCancel = cancellation.Register(() =>
        {
            try { process.StandardInput.WriteLine("stop"); process.StandardInput.Flush(); }
            catch (Exception e) when (e is IOException or InvalidOperationException) { }   // already gone
        });
        process.WaitForExit();
        return process.ExitCode;
    }
}
