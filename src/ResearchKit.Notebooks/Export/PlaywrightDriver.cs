namespace ResearchKit.Notebooks.Export;

/// <summary>
/// Points Playwright at the driver (<c>.playwright/</c>: node and the driver package) that the build copies next to the kit,
/// whatever process hosts it.
/// </summary>
/// <remarks>
/// Playwright looks for its driver beside the entry assembly's folder (<see cref="AppContext.BaseDirectory"/>) unless
/// <see cref="EnvironmentVariable"/> names one. Inside a notebook host that folder is the host's (dotnet-repl's tool
/// folder, the Polyglot kernel's), which has no driver of this Playwright version, so the kit names its own folder.
/// </remarks>
public static class PlaywrightDriver
{
    /// <summary>The variable Playwright reads for the folder that holds <c>.playwright/</c>.</summary>
    public const string EnvironmentVariable = "PLAYWRIGHT_DRIVER_SEARCH_PATH";

    /// <summary>The folder of the kit's assemblies (the one with <c>.playwright/</c> after a build).</summary>
    public static string KitFolder => Path.GetDirectoryName(typeof(PlaywrightDriver).Assembly.Location) ?? AppContext.BaseDirectory;

    /// <summary>
    /// Sets <see cref="EnvironmentVariable"/> to <paramref name="folder"/> (default: <see cref="KitFolder"/>) unless the user set
    /// it, and returns the folder Playwright will search.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder has no <c>.playwright/</c> driver (the message names the fix).</exception>
    public static string Use(string? folder = null)
    {
        var preset = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(preset)) return preset;
        folder ??= KitFolder;
        if (!Directory.Exists(Path.Combine(folder, ".playwright")))
            throw new InvalidOperationException(
                $"The Playwright driver is missing from '{folder}' (no .playwright folder): rebuild the kit " +
                $"(`dotnet build src/ResearchKit.Notebooks`), or set {EnvironmentVariable} to a folder that holds one.");
        Environment.SetEnvironmentVariable(EnvironmentVariable, folder);
        return folder;
    }
}
