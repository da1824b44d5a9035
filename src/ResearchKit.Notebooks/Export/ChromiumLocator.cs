namespace ResearchKit.Notebooks.Export;

/// <summary>Finds the system Chromium used for figure export (no browser is ever downloaded).</summary>
public static class ChromiumLocator
{
    /// <summary>Environment variable that names a Chromium/Chrome executable explicitly.</summary>
    public const string EnvironmentVariable = "RESEARCHKIT_CHROMIUM";

    /// <summary>Where Debian, Ubuntu and Chrome packages put the browser, in order of preference.</summary>
    public static readonly IReadOnlyList<string> Candidates =
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome"];

    /// <summary>The executable to launch: <paramref name="explicitPath"/>, else $RESEARCHKIT_CHROMIUM, else the first candidate present.</summary>
    /// <exception cref="ChromiumNotFoundException">None exists.</exception>
    public static string Find(string? explicitPath = null)
    {
        var named = explicitPath ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(named))
            return File.Exists(named) ? named : throw new ChromiumNotFoundException([named]);
        return Candidates.FirstOrDefault(File.Exists) ?? throw new ChromiumNotFoundException(Candidates);
    }

    /// <summary>True when a Chromium is available.</summary>
    public static bool IsAvailable(string? explicitPath = null)
    {
        try
        {
            Find(explicitPath);
            return true;
        }
        catch (ChromiumNotFoundException)
        {
            return false;
        }
    }
}

/// <summary>No Chromium executable was found; the message says how to install one.</summary>
public sealed class ChromiumNotFoundException(IEnumerable<string> lookedAt) : InvalidOperationException(
    $"Figure export needs a system Chromium, but none was found (looked at: {string.Join(", ", lookedAt)}). " +
    $"Install it with `apt-get install chromium` (Debian/Ubuntu), or set {ChromiumLocator.EnvironmentVariable} to a Chromium or Chrome executable.");
