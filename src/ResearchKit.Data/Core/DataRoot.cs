namespace ResearchKit.Data;

/// <summary>
/// The folder under which data sets, downloads and render caches live: <c>$RESEARCHKIT_DATA</c>, else
/// <c>~/.researchkit/data</c>. Also resolves list paths safely inside a root.
/// </summary>
public static class DataRoot
{
    /// <summary>Name of the environment variable that overrides the default root.</summary>
    public const string EnvironmentVariable = "RESEARCHKIT_DATA";

    /// <summary>The default data root (not created).</summary>
    public static string Default
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".researchkit", "data");
        }
    }

    /// <summary>
    /// Joins a relative path from a list file onto <paramref name="root"/>, refusing paths that are absolute or
    /// climb out of the root (a list "pointing outside the data root").
    /// </summary>
    /// <param name="root">The data root (or a data set folder).</param>
    /// <param name="relative">A path from a list file.</param>
    /// <param name="listFile">The list file, named in the error.</param>
    public static string Resolve(string root, string relative, string listFile)
    {
        var fullRoot = Path.GetFullPath(root);
        if (Path.IsPathRooted(relative))
            throw new ArgumentException($"{listFile}: path '{relative}' must be relative to the data root '{fullRoot}'.", nameof(relative));
        var full = Path.GetFullPath(Path.Combine(fullRoot, relative));
        var rootWithSep = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new ArgumentException($"{listFile}: path '{relative}' points outside the data root '{fullRoot}'.", nameof(relative));
        return full;
    }

    /// <summary>Throws <see cref="FileNotFoundException"/> naming the first missing file of a split.</summary>
    public static void RequireFiles(IEnumerable<string> paths, string listFile)
    {
        foreach (var p in paths)
            if (!File.Exists(p)) throw new FileNotFoundException($"{listFile}: image file not found: '{p}'", p);
    }
}
