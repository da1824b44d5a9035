using System.Reflection;
using System.Runtime.Loader;

namespace ResearchKit.Notebooks.Interactive;

/// <summary>
/// Makes every request for <c>FSharp.Core</c> in the process bind to the one copy the host already holds.
/// </summary>
/// <remarks>
/// Plotly.NET 6.0.0 (the only one served) is compiled against FSharp.Core 10.1.0.0; the .NET Interactive kernel (dotnet-repl
/// 0.3.259, Microsoft.dotnet-interactive 1.0.712001) ships 10.0.0.0 in its default load context for its F# kernel. The
/// default context refuses a request for a higher version than it holds, and loading the kit's own 10.1 beside it puts
/// two FSharp.Core copies in one process (Plotly.NET's type initializer then fails with a MissingMethodException on
/// Giraffe's <c>get_script</c>). So the kit folder ships no FSharp.Core (the project filters it out) and this handler
/// answers the failed request with the host's copy: one FSharp.Core, the kernel's, so its F# kernel keeps working. Hosts
/// whose own FSharp.Core satisfies Plotly.NET (the CLI, the tests) never raise the event.
/// </remarks>
public static class FSharpCoreUnification
{
    private const string FSharpCore = "FSharp.Core";
    private static int _installed;

    [ThreadStatic]
    private static bool _resolving;

    /// <summary>True once <see cref="Install"/> has run in this process.</summary>
    public static bool IsInstalled => Volatile.Read(ref _installed) == 1;

    /// <summary>Installs the handler on the default load context, once per process (later calls do nothing).</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += Resolve;
    }

    /// <summary>
    /// The host's FSharp.Core for a request of any version: the copy loaded in <paramref name="context"/>, else the one its
    /// probing finds by simple name; null for other assemblies or when the host has none.
    /// </summary>
    internal static Assembly? Resolve(AssemblyLoadContext context, AssemblyName requested)
    {
        if (!string.Equals(requested.Name, FSharpCore, StringComparison.Ordinal) || _resolving) return null;
        var loaded = context.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, FSharpCore, StringComparison.Ordinal));
        if (loaded is not null) return loaded;
        _resolving = true; // a version-less load that fails raises this event again
        try
        {
            return context.LoadFromAssemblyName(new AssemblyName(FSharpCore));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        finally
        {
            _resolving = false;
        }
    }
}
