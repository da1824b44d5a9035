using Microsoft.DotNet.Interactive;
using ResearchKit.Notebooks.Formatting;
using ResearchKit.Training;

namespace ResearchKit.Notebooks.Interactive;

/// <summary>
/// The kit as a .NET Interactive kernel extension: binds Plotly.NET to the host's FSharp.Core, registers the kit's display
/// formatters (charts, data frames, PNG figures, kit result types) and delivers plotly.js once for the notebook's charts.
/// </summary>
/// <remarks>
/// .NET Interactive 1.0.0-beta.26120.1 (dotnet-repl 0.3.259, the Polyglot kernel Microsoft.dotnet-interactive 1.0.712001)
/// loads <see cref="IKernelExtension"/>s on its own only from a NuGet package's <c>interactive-extensions/dotnet</c> folder.
/// A NuGet-packaged kit would bring TorchSharp's unpatched libtorch from the package cache (docs/native-libtorch.md), so the
/// kit is referenced from its build folder instead and notebooks/researchkit.dib calls <see cref="LoadAsync"/> right after
/// its <c>#r</c> lines: the same entry point, invoked by the set-up cell rather than by the package loader.
/// </remarks>
public sealed class ResearchKitKernelExtension : IKernelExtension
{
    private static int _loaded;

    /// <summary>True once the extension has loaded in this process.</summary>
    public static bool IsLoaded => Volatile.Read(ref _loaded) == 1;

    /// <summary>Loads the extension into the kernel running the current cell (what researchkit.dib calls).</summary>
    /// <exception cref="InvalidOperationException">Called outside a kernel submission.</exception>
    public static Task LoadAsync()
    {
        var kernel = KernelInvocationContext.Current?.HandlingKernel
            ?? throw new InvalidOperationException("ResearchKitKernelExtension.LoadAsync must run inside a .NET Interactive cell (no kernel is handling a command).");
        return new ResearchKitKernelExtension().OnLoadAsync(kernel);
    }

    /// <inheritdoc />
    public Task OnLoadAsync(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        // First, before any Plotly.NET type loads: the formatters below touch Plotly.NET only when a chart is rendered.
        FSharpCoreUnification.Install();
        NativeHeap.Configure();   // the kernel process is libtorch's host here: keep its tensors off mmap/munmap
        if (Interlocked.Exchange(ref _loaded, 1) == 0) NotebookFormatters.Register();
        // plotly.js goes with every loading, not once per process: a re-run notebook's outputs start afresh.
        KernelInvocationContext.Current?.DisplayAs(PlotlyJsDelivery.ScriptHtml(), "text/html");
        return Task.CompletedTask;
    }
}
