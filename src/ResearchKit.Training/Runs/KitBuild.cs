using System.Reflection;

namespace ResearchKit.Training.Runs;

/// <summary>
/// Which ResearchKit build this process runs, as recorded in every finished run's result (<c>kitVersion</c>): the
/// package version and, when the build saw a git checkout, the commit (<c>1.0.0+265a21e…</c>, .NET's
/// informational version). Finished runs are reused by later commands and notebooks without retraining; the version
/// lets them say when a reused run was trained by other code (its numbers can differ: a kernel, a default or a bug fix
/// may have changed since). A working tree with uncommitted changes reports its HEAD commit.
/// </summary>
public static class KitBuild
{
    /// <summary>This build's informational version; "unknown" when the assembly carries none.</summary>
    public static string Version { get; } =
        typeof(KitBuild).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>
    /// Null when <paramref name="recorded"/> is this build's version; otherwise a clause for a log line saying which build
    /// trained the run (results written before runs recorded a version say so).
    /// </summary>
    public static string? Difference(string? recorded) =>
        recorded == Version ? null
        : recorded is null ? $"trained by an earlier ResearchKit build that did not record its version (this is {Version})"
        : $"trained by ResearchKit {recorded} (this is {Version})";
}
