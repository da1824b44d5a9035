using System.Reflection;
using System.Runtime.Loader;
using ResearchKit.Notebooks.Export;
using ResearchKit.Notebooks.Interactive;

namespace ResearchKit.Notebooks.Tests;

/// <summary>The kernel extension's parts: one FSharp.Core, plotly.js once, light chart outputs, a kit folder without host copies.</summary>
public class KernelExtensionTests
{
    [Fact]
    public void A_request_for_any_FSharp_Core_version_gets_the_copy_already_loaded()
    {
        var loaded = typeof(Microsoft.FSharp.Core.Unit).Assembly;
        var newer = new AssemblyName($"FSharp.Core, Version=99.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a");

        var resolved = FSharpCoreUnification.Resolve(AssemblyLoadContext.Default, newer);

        Assert.Same(loaded, resolved);
        Assert.Null(FSharpCoreUnification.Resolve(AssemblyLoadContext.Default, new AssemblyName("Giraffe.ViewEngine")));
    }

    [Fact]
    public void Installing_twice_keeps_one_handler_and_a_newer_FSharp_Core_then_loads_as_the_hosts()
    {
        FSharpCoreUnification.Install();
        FSharpCoreUnification.Install();

        var asm = AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName("FSharp.Core, Version=99.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a"));

        Assert.True(FSharpCoreUnification.IsInstalled);
        Assert.Same(typeof(Microsoft.FSharp.Core.Unit).Assembly, asm);
    }

    [Fact]
    public void Plotly_js_is_delivered_once_and_chart_outputs_carry_none_of_it()
    {
        var script = PlotlyJsDelivery.ScriptHtml();
        var chart = ChartHtml.ToNotebookFragment(Charts.KitCharts.RecallAtK([new Charts.RecallCurve("a", [1, 2, 4], [0.5, 0.6, 0.7])]));

        Assert.Contains(PlotlyJs.Source[..2000], script);
        Assert.Contains($"id=\"{PlotlyJsDelivery.ScriptId}\"", script);
        Assert.Contains("if (typeof window.Plotly === 'undefined')", script);
        Assert.DoesNotContain("<script src", script);
        Assert.True(chart.Length < 50_000, $"a chart output is {chart.Length} characters");
        Assert.DoesNotContain(PlotlyJs.Source[..2000], chart);
        Assert.Contains("window.Plotly.newPlot(", chart);
        Assert.DoesNotContain("<script src", chart);
        Assert.DoesNotContain("cdn.plot.ly", chart);
        Assert.DoesNotContain("require", chart);
    }

    [Fact]
    public void The_kit_folder_holds_the_kit_and_no_copy_of_what_the_kernel_host_has()
    {
        var kit = RepoPaths.Kit;
        Assert.True(File.Exists(Path.Combine(kit, "ResearchKit.Notebooks.dll")), $"the kit is not built at {kit}");
        Assert.True(File.Exists(Path.Combine(kit, "libLibTorchSharp.so")), "libtorch sits next to TorchSharp.dll (RID-specific build)");
        Assert.True(Directory.Exists(Path.Combine(kit, ".playwright")), "the Playwright driver is in the kit folder");
        var hostCopies = Directory.GetFiles(kit, "*.dll").Select(Path.GetFileName)
            .Where(n => n == "FSharp.Core.dll" || n!.StartsWith("Microsoft.DotNet.Interactive", StringComparison.Ordinal)).ToList();
        Assert.Empty(hostCopies);
    }

    [Fact]
    public void Loading_outside_a_kernel_cell_says_where_it_must_run()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ResearchKitKernelExtension.LoadAsync().GetAwaiter().GetResult());
        Assert.Contains("inside a .NET Interactive cell", e.Message);
    }

    [Fact]
    public void The_playwright_driver_is_found_in_the_kit_folder_whatever_the_host()
    {
        var previous = Environment.GetEnvironmentVariable(PlaywrightDriver.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(PlaywrightDriver.EnvironmentVariable, null);
            Assert.Equal(PlaywrightDriver.KitFolder, PlaywrightDriver.Use());
            Assert.Equal(PlaywrightDriver.KitFolder, Environment.GetEnvironmentVariable(PlaywrightDriver.EnvironmentVariable));
            Environment.SetEnvironmentVariable(PlaywrightDriver.EnvironmentVariable, null);
            using var empty = new TempDir();
            var e = Assert.Throws<InvalidOperationException>(() => PlaywrightDriver.Use(empty.Path));
            Assert.Contains("no .playwright folder", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PlaywrightDriver.EnvironmentVariable, previous);
        }
    }
}
