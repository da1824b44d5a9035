using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// A chain of Roslyn script submissions with dotnet-interactive's C# kernel semantics (spec §2.9): state, usings and
/// references carry from one submission to the next, relative <c>#r</c>/<c>#load</c> resolve against the notebook folder,
/// and a submission "returns" a value only when it ends in an expression without a semicolon.
/// </summary>
internal sealed class ScriptSession(string notebookPath, NotebookGlobals globals)
{
    private static readonly string[] DefaultImports =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"];

    private static readonly MethodInfo? HasReturnValueMethod =
        typeof(Script).GetMethod("HasReturnValue", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, Type.EmptyTypes);

    private readonly ScriptOptions _options = CreateOptions(notebookPath);
    private ScriptState<object>? _state;

    public string FilePath { get; } = notebookPath;

    private static ScriptOptions CreateOptions(string notebookPath)
    {
        var dir = Path.GetDirectoryName(notebookPath)!;
        var references = HostAssemblies.FrameworkReferences().Cast<MetadataReference>().ToList();
        // dotnet-interactive scripts can use Formatter without #r; so can ours.
        references.Add(HostAssemblies.Reference(typeof(Microsoft.DotNet.Interactive.Formatting.Formatter).Assembly.Location));
        return ScriptOptions.Default
            .WithReferences(references)
            .WithImports(DefaultImports)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithMetadataResolver(new HostAwareMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(dir)))
            .WithSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, dir))
            .WithFilePath(notebookPath)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true) // line numbers in runtime stack traces
            .WithOptimizationLevel(OptimizationLevel.Release);
    }

    /// <summary>Compiles and runs one submission; returns whether it has a value, and the value.</summary>
    /// <exception cref="CompilationErrorException">It does not compile.</exception>
    public async Task<(bool HasValue, object? Value)> RunAsync(string code, CancellationToken ct)
    {
        _state = _state is null
            ? await CSharpScript.RunAsync<object>(code, _options, globals, typeof(NotebookGlobals), ct).ConfigureAwait(false)
            : await _state.ContinueWithAsync<object>(code, _options, ct).ConfigureAwait(false);
        return (HasReturnValue(_state.Script, code), _state.ReturnValue);
    }

    private static bool HasReturnValue(Script script, string code)
    {
        if (HasReturnValueMethod is not null) return (bool)HasReturnValueMethod.Invoke(script, null)!;
        // Fallback: the submission ends in an expression statement without a semicolon.
        var root = (Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax)CSharpSyntaxTree
            .ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script)).GetRoot();
        return root.Members.LastOrDefault() is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax
        {
            Statement: Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax { SemicolonToken.IsMissing: true }
        };
    }
}
