using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// Every committed notebook compiles against the kit it imports, cell after cell as the C# kernel submits them (Roslyn
/// scripting, the kernel's default imports, researchkit.dib's usings): an API change that breaks a notebook fails here in
/// seconds, without training the runs that executing it at the smoke profile needs (<see cref="CommittedNotebookTests"/>).
/// </summary>
public class NotebookCompileTests
{
    // What the .NET Interactive C# kernel imports before the first cell.
    private const string KernelImports = "using System; using System.Collections; using System.Collections.Generic; using System.Linq; " +
        "using System.Text; using System.Threading.Tasks; using Microsoft.DotNet.Interactive; using static Microsoft.DotNet.Interactive.Kernel;\n";

    public static TheoryData<string> Notebooks() => CommittedNotebookTests.Notebooks();

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_compiles_against_the_kit(string notebook)
    {
        var errors = Compile(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, notebook)));
        Assert.True(errors.Count == 0, $"{notebook}: {string.Join("\n", errors)}");
    }

    [Fact]
    public void A_cell_that_calls_a_missing_kit_api_is_reported()
    {
        var notebook = JsonSerializer.Serialize(new
        {
            cells = new object[]
            {
                new { cell_type = "code", source = new[] { "var table = ExperimentRegistry.Get(\"table1\");\n" } },
                new { cell_type = "code", source = new[] { "var r1 = ShortMetric(\"recall_at_1\");\n" } },
            },
        });
        Assert.Contains("ShortMetric", Assert.Single(Compile(notebook)));
    }

    // The code cells in order (kernel directives such as #!import left out), each compiled on top of the ones before; the
    // first cell with errors stops the notebook (later cells would only repeat them).
    private static List<string> Compile(string ipynb)
    {
        var kitUsings = string.Join("\n", File.ReadAllLines(Path.Combine(RepoPaths.Notebooks, "researchkit.dib")).Where(l => l.StartsWith("using ", StringComparison.Ordinal)));
        var options = ScriptOptions.Default.WithReferences(References());
        Script script = CSharpScript.Create(KernelImports + kitUsings, options);
        var errors = Errors(script);
        using var doc = JsonDocument.Parse(ipynb);
        foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray().Where(c => c.GetProperty("cell_type").GetString() == "code"))
        {
            if (errors.Count > 0) break;
            var source = string.Concat(cell.GetProperty("source").EnumerateArray().Select(s => s.GetString()));
            script = script.ContinueWith(string.Join("\n", source.Split('\n').Where(l => !l.TrimStart().StartsWith("#!", StringComparison.Ordinal))), options);
            errors = Errors(script);
        }
        return errors;
    }

    private static List<string> Errors(Script script) =>
        script.GetCompilation().GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();

    // The kit folder the notebooks #r, the host's FSharp.Core and Microsoft.DotNet.Interactive (the kit leaves them to the
    // host), and the framework.
    private static IEnumerable<MetadataReference> References()
    {
        var kit = Directory.GetFiles(RepoPaths.Kit, "*.dll").Where(f => !Path.GetFileName(f).StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal));
        var host = new[] { "FSharp.Core.dll", "Microsoft.DotNet.Interactive.dll" }.Select(f => Path.Combine(AppContext.BaseDirectory, f));
        var framework = Directory.GetFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll");
        foreach (var file in kit.Concat(host).Concat(framework))
        {
            MetadataReference? reference = null;
            try { reference = MetadataReference.CreateFromFile(file); }
            catch (BadImageFormatException) { }   // a native library in the folder
            if (reference is not null) yield return reference;
        }
    }
}
