using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// The assemblies the runner's own process resolves (its trusted-platform list: the framework plus the host app's
/// dependencies, TorchSharp included). At run time the runtime binds every script reference with one of these names to the
/// host's copy, whatever file a <c>#r</c> named (Roslyn's loader asks the default context first), so compiling against the
/// host's copy too keeps compile and run consistent and guarantees one TorchSharp and one libtorch per process.
/// </summary>
internal static class HostAssemblies
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> ByName = new(() =>
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            map.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        return map;
    });

    private static readonly ConcurrentDictionary<string, PortableExecutableReference> References = new(StringComparer.Ordinal);

    /// <summary>The host's file for an assembly simple name.</summary>
    public static bool TryGetPath(string simpleName, out string path) => ByName.Value.TryGetValue(simpleName, out path!);

    /// <summary>A cached metadata reference to a file (metadata is read once per process).</summary>
    public static PortableExecutableReference Reference(string path) =>
        References.GetOrAdd(Path.GetFullPath(path), p => MetadataReference.CreateFromFile(p));

    /// <summary>Framework assemblies (System.*, Microsoft.*, netstandard) of the running shared framework.</summary>
    public static IEnumerable<PortableExecutableReference> FrameworkReferences()
    {
        var runtimeDir = Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory());
        return ByName.Value.Values
            .Where(p => Path.GetFullPath(p).StartsWith(runtimeDir, StringComparison.Ordinal))
            .Where(p => IsManaged(p))
            .Select(Reference);
    }

    private static bool IsManaged(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            return pe.HasMetadata && pe.GetMetadataReader().IsAssembly;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}

/// <summary>
/// Resolves <c>#r "path"</c> like dotnet-interactive (relative to the notebook folder), then swaps in the host's copy of an
/// assembly the host already has (see <see cref="HostAssemblies"/>). A path that does not exist stays an error, so a notebook
/// whose references are wrong fails here as it would in VS Code.
/// </summary>
internal sealed class HostAwareMetadataResolver(MetadataReferenceResolver inner) : MetadataReferenceResolver
{
    private readonly MetadataReferenceResolver _inner = inner;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        var resolved = _inner.ResolveReference(reference, baseFilePath, properties);
        return resolved.Select(r =>
                r.FilePath is { } file && HostAssemblies.TryGetPath(Path.GetFileNameWithoutExtension(file), out var host)
                    ? HostAssemblies.Reference(host)
                    : r)
            .ToImmutableArray();
    }

    public override bool ResolveMissingAssemblies => true;

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
        HostAssemblies.TryGetPath(referenceIdentity.Name, out var host)
            ? HostAssemblies.Reference(host)
            : _inner.ResolveMissingAssembly(definition, referenceIdentity);

    public override bool Equals(object? other) => other is HostAwareMetadataResolver o && o._inner.Equals(_inner);

    public override int GetHashCode() => _inner.GetHashCode() ^ 0x5bd1e995;
}
