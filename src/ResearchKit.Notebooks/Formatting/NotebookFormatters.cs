using System.Reflection;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using ResearchKit.Notebooks.Export;

namespace ResearchKit.Notebooks.Formatting;

/// <summary>
/// Registers the kit's display formatters with <c>Microsoft.DotNet.Interactive.Formatting</c>, so values render the same in
/// the headless runner and in VS Code Polyglot, with no network: charts as HTML with plotly.js inline, data frames as a
/// compact table, <see cref="PngImage"/> as <c>image/png</c>, and kit result types through a generic hook.
/// </summary>
/// <remarks>
/// The hook: every public type of a <c>ResearchKit*</c> assembly (loaded now or later) with a public parameterless
/// <c>ToDataFrame()</c> returning <see cref="DataFrame"/> renders as that table; core types need no reference to this
/// assembly. Other types can be registered with <see cref="RegisterTable{T}"/> or <see cref="RegisterHtml{T}"/>.
/// </remarks>
public static class NotebookFormatters
{
    private static readonly object Gate = new();
    private static readonly HashSet<Type> Conventional = [];
    private static bool _registered;

    /// <summary>Registers everything once per process (later calls do nothing).</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            _registered = true;
        }
        Formatter.Register<GenericChart>((chart, w) => w.Write(ChartHtml.ToNotebookFragment(chart)), "text/html");
        Formatter.SetPreferredMimeTypesFor(typeof(GenericChart), "text/html");
        RegisterTable<DataFrame>(df => df);
        RegisterTable<ResearchKit.Metrics.RetrievalResult>(RetrievalResultFrames.ToDataFrame);
        Formatter.Register<PngImage>((img, w) => w.Write(img.ToBase64()), "image/png");
        Formatter.Register<PngImage>((img, w) => w.Write($"<img src=\"data:image/png;base64,{img.ToBase64()}\"/>"), "text/html");
        Formatter.SetPreferredMimeTypesFor(typeof(PngImage), "image/png");

        AppDomain.CurrentDomain.AssemblyLoad += (_, e) => RegisterConventions(e.LoadedAssembly);
        foreach (var asm in AppDomain.CurrentDomain.GetAssemblies()) RegisterConventions(asm);
    }

    /// <summary>Renders <typeparamref name="T"/> as the table <paramref name="toTable"/> returns (HTML and plain text).</summary>
    public static void RegisterTable<T>(Func<T, DataFrame> toTable)
    {
        ArgumentNullException.ThrowIfNull(toTable);
        Formatter.Register<T>((v, w) => w.Write(DataFrameHtml.Render(toTable(v))), "text/html");
        Formatter.Register<T>((v, w) => w.Write(DataFrameHtml.RenderText(toTable(v))), "text/plain");
        Formatter.SetPreferredMimeTypesFor(typeof(T), "text/html", "text/plain");
    }

    /// <summary>Renders <typeparamref name="T"/> as the HTML <paramref name="toHtml"/> returns.</summary>
    public static void RegisterHtml<T>(Func<T, string> toHtml)
    {
        ArgumentNullException.ThrowIfNull(toHtml);
        Formatter.Register<T>((v, w) => w.Write(toHtml(v)), "text/html");
        Formatter.SetPreferredMimeTypesFor(typeof(T), "text/html");
    }

    /// <summary>Registers the <c>ToDataFrame()</c> convention for the public types of <paramref name="assembly"/> if it is a kit assembly.</summary>
    public static void RegisterConventions(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        if (assembly.IsDynamic || assembly.GetName().Name?.StartsWith("ResearchKit", StringComparison.Ordinal) != true) return;
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or NotSupportedException)
        {
            return; // a kit assembly whose dependencies are not loadable here has nothing we can render
        }
        foreach (var type in types)
        {
            if (type.IsGenericTypeDefinition || type.IsAbstract && type.IsSealed) continue;
            var method = type.GetMethod("ToDataFrame", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
            if (method is null || method.ReturnType != typeof(DataFrame)) continue;
            lock (Gate)
                if (!Conventional.Add(type)) continue;
            DataFrame Table(object v) => (DataFrame)method.Invoke(v, null)!;
            Formatter.Register(type, (v, w) => w.Write(DataFrameHtml.Render(Table(v))), "text/html");
            Formatter.Register(type, (v, w) => w.Write(DataFrameHtml.RenderText(Table(v))), "text/plain");
            Formatter.SetPreferredMimeTypesFor(type, "text/html", "text/plain");
        }
    }
}
