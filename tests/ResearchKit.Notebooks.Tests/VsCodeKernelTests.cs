using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using ResearchKit.Notebooks.Interactive;

namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// The kernel VS Code's Polyglot extension starts (the tool Microsoft.dotnet-interactive 1.0.712001, pinned in
/// .config/dotnet-tools.json), driven as the extension drives it: <c>dotnet-interactive stdio --working-dir notebooks</c>,
/// each code cell sent in order as a <c>SubmitCode</c> command envelope, events read back. No parameter is given, so the
/// notebook runs on its defaults as a user running cells sees it; afterwards the host's F# kernel still works.
/// </summary>
[Collection(NotebookRuns.Name)]
public class VsCodeKernelTests
{
    private sealed record CellEvents(bool Failed, string? Failure, List<string> Html, List<string> Stdout);

    [Fact]
    public async Task Smoke_notebook_runs_cell_by_cell_on_the_VS_Code_kernel_with_its_defaults_and_FSharp_still_works()
    {
        DotnetRepl.EnsureToolsRestored();
        var notebook = Notebook.Parse(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, "00-smoke.ipynb")));
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in new[] { "tool", "run", "dotnet-interactive", "stdio", "--working-dir", RepoPaths.Notebooks }) info.ArgumentList.Add(a);
        using var kernel = Process.Start(info)!;
        _ = kernel.StandardError.ReadToEndAsync();
        try
        {
            var cells = new List<CellEvents>();
            int n = 0;
            foreach (var element in notebook.Elements.Where(e => e.KernelName != "markdown"))
                cells.Add(await SubmitAsync(kernel, $"cell-{++n}", element.Contents, element.KernelName ?? "csharp"));
            var fsharp = await SubmitAsync(kernel, "fsharp", "[1; 2; 3] |> List.map (fun x -> x * 2) |> List.sum |> printfn \"%d\"", "fsharp");

            Assert.All(cells.Select((c, i) => (c, i)), x => Assert.False(x.c.Failed, $"code cell {x.i + 1}: {x.c.Failure}"));
            Assert.Contains(PlotlyJsDelivery.ScriptId, Assert.Single(cells[0].Html)); // the set-up cell: plotly.js, once
            Assert.Equal(3, cells.Count(c => c.Html.Any(h => h.Contains("researchkit-chart", StringComparison.Ordinal))));
            Assert.Contains(cells, c => c.Html.Any(h => h.Contains("<table", StringComparison.Ordinal)));
            Assert.Contains("Figures not exported (exportFigures = false).", string.Concat(cells[^1].Stdout)); // the default applied
            Assert.False(fsharp.Failed, fsharp.Failure);
            Assert.Equal("12", string.Concat(fsharp.Stdout).Trim());
        }
        finally
        {
            kernel.Kill(entireProcessTree: true);
        }
    }

    private static async Task<CellEvents> SubmitAsync(Process kernel, string token, string code, string kernelName)
    {
        var envelope = new JsonObject
        {
            ["token"] = token,
            ["commandType"] = "SubmitCode",
            ["command"] = new JsonObject { ["code"] = code, ["targetKernelName"] = kernelName },
        };
        await kernel.StandardInput.WriteLineAsync(envelope.ToJsonString());
        await kernel.StandardInput.FlushAsync();
        var result = new CellEvents(false, null, [], []);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var line = await kernel.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the kernel exited");
            JsonNode? e;
            try { e = JsonNode.Parse(line); }
            catch (JsonException) { continue; }
            var type = e?["eventType"]?.GetValue<string>();
            var commandToken = e?["command"]?["token"]?.GetValue<string>() ?? "";
            if (type is null || !commandToken.StartsWith(token, StringComparison.Ordinal)) continue;
            var values = e!["event"]?["formattedValues"]?.AsArray().Select(v => (Mime: v!["mimeType"]!.GetValue<string>(), Value: v["value"]!.GetValue<string>())).ToList() ?? [];
            switch (type)
            {
                case "DisplayedValueProduced" or "ReturnValueProduced" or "DisplayedValueUpdated":
                    result.Html.AddRange(values.Where(v => v.Mime == "text/html").Select(v => v.Value));
                    break;
                case "StandardOutputValueProduced":
                    result.Stdout.AddRange(values.Select(v => v.Value));
                    break;
                case "CommandFailed" when commandToken == token:
                    return result with { Failed = true, Failure = e["event"]?["message"]?.GetValue<string>() };
                case "CommandSucceeded" when commandToken == token:
                    return result;
            }
        }
    }
}
