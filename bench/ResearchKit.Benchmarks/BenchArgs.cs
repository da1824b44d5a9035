using System.Globalization;

namespace ResearchKit.Benchmarks;

/// <summary>The <c>--name value</c> options of the bench commands (invariant culture).</summary>
internal static class BenchArgs
{
    /// <summary>The value after <paramref name="name"/>, or null when the option is absent.</summary>
    public static string? String(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The value after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static string String(string[] args, string name, string fallback) => String(args, name) ?? fallback;

    /// <summary>The integer after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static int Int(string[] args, string name, int fallback)
    {
        var s = String(args, name);
        return s is null ? fallback : int.Parse(s, CultureInfo.InvariantCulture);
    }
}
