using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;

namespace ResearchKit.Notebooks.Parameters;

/// <summary>
/// Notebook parameters that every host executes the same way: a notebook's cell tagged <c>parameters</c> declares each one
/// as <c>var x = Parameter("x", defaultValue);</c>. Run cell by cell in VS Code, the default applies; a headless host
/// overrides it by name: <c>dotnet-repl --run nb.ipynb --input profile=smoke</c> or
/// <c>researchkit notebook run nb.ipynb --param profile=smoke</c>.
/// </summary>
/// <remarks>
/// Both headless hosts keep their values in a kernel of the composite kernel that exposes
/// <c>Func&lt;string, Task&lt;string?&gt;&gt; GetInputValueAsync</c>: dotnet-repl's input kernel (filled from
/// <c>--input</c>, names matched without regard to case) and <see cref="Running.HostInputKernel"/> of the kit's runner.
/// The kit reads that table directly instead of sending a <c>RequestInput</c>, because a host without the value (VS Code,
/// dotnet-repl without that <c>--input</c>) would prompt for it rather than use the default.
/// </remarks>
public static partial class NotebookParameters
{
    /// <summary>The name of the notebook property that holds the input table.</summary>
    public const string InputTableProperty = "GetInputValueAsync";

    /// <summary>
    /// The host's value of parameter <paramref name="name"/> converted to <typeparamref name="T"/>, else
    /// <paramref name="defaultValue"/>. Supported types: string, bool, int, long, double, float and enums.
    /// </summary>
    /// <exception cref="ArgumentException">The host's value does not parse as <typeparamref name="T"/> (the message names the parameter).</exception>
    public static T Parameter<T>(string name, T defaultValue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var text = HostValue(name);
        return text is null ? defaultValue : Convert<T>(name, text);
    }

    /// <summary>The names declared with <c>Parameter("name", …)</c> in <paramref name="source"/> (a parameters cell).</summary>
    public static IReadOnlySet<string> DeclaredNames(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Declaration().Matches(source).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Converts a host's text value as <see cref="Parameter{T}"/> does.</summary>
    /// <exception cref="ArgumentException">The text does not parse as <typeparamref name="T"/>.</exception>
    internal static T Convert<T>(string name, string text)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        try
        {
            object value = type == typeof(string) ? text
                : type == typeof(bool) ? bool.Parse(text.Trim())
                : type.IsEnum ? Enum.Parse(type, text.Trim(), ignoreCase: true)
                : System.Convert.ChangeType(text.Trim(), type, CultureInfo.InvariantCulture);
            return (T)value;
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException)
        {
            throw new ArgumentException(
                $"notebook parameter '{name}' expects {Describe(type)}, got '{text}'", nameof(text), e);
        }
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "true or false"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type))
        : $"a {type.Name} (invariant culture, e.g. 3 or 0.5)";

    /// <summary>The host's text for <paramref name="name"/>, or null when it has none (or runs no kernel).</summary>
    private static string? HostValue(string name)
    {
        var root = KernelInvocationContext.Current?.HandlingKernel?.RootKernel;
        if (root is not CompositeKernel composite) return null;
        foreach (var kernel in composite.ChildKernels)
        {
            var property = kernel.GetType().GetProperty(InputTableProperty);
            if (property?.GetValue(kernel) is Func<string, Task<string?>> lookup
                && lookup(name).GetAwaiter().GetResult() is { } value && !string.IsNullOrWhiteSpace(value))
                return value;
        }
        return null;
    }

    [GeneratedRegex(@"\bParameter\s*\(\s*""([A-Za-z_][A-Za-z0-9_]*)""")]
    private static partial Regex Declaration();
}
