using Microsoft.DotNet.Interactive;
using Plotly.NET;
using ResearchKit.Notebooks.Export;
using ResearchKit.Notebooks.Formatting;

namespace ResearchKit.Notebooks.Cells;

/// <summary>The figure-export cell of the notebooks. Notebooks import it with <c>using static</c> (notebooks/researchkit.dib).</summary>
public static class FigureCells
{
    /// <summary>The formats every figure is written in.</summary>
    public static readonly IReadOnlyList<string> Formats = ["png", "svg", "pdf"];

    /// <summary>
    /// Writes each figure as PNG, SVG and PDF into <paramref name="dir"/> (headless Chromium; notebooks/README.md) and
    /// displays the PNGs, as the paper will get them. With <paramref name="export"/> false it writes nothing and says why,
    /// naming the fix when no Chromium is installed.
    /// </summary>
    /// <returns>The files written (none when <paramref name="export"/> is false).</returns>
    public static async Task<IReadOnlyList<string>> ExportFigures(bool export, string dir, params (string Name, GenericChart Chart)[] figures)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        ArgumentNullException.ThrowIfNull(figures);
        if (!export)
        {
            try
            {
                ChromiumLocator.Find();
                Console.WriteLine("Figures not exported (exportFigures = false).");
            }
            catch (ChromiumNotFoundException e)
            {
                Console.WriteLine($"Figures not exported: {e.Message}");
            }
            return [];
        }
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        await using (var exporter = await FigureExporter.StartAsync().ConfigureAwait(false))
        {
            foreach (var (name, chart) in figures)
                foreach (var ext in Formats)
                {
                    var path = Path.Combine(dir, $"{name}.{ext}");
                    await exporter.SaveAsync(chart, path).ConfigureAwait(false);
                    written.Add(path);
                }
        }
        Console.WriteLine($"wrote {written.Count} files to {Path.GetFullPath(dir)}: " + string.Join(", ", figures.Select(f => f.Name + ".{png,svg,pdf}")));
        if (KernelInvocationContext.Current is not null)
            foreach (var (name, _) in figures) Kernel.display(PngImage.Load(Path.Combine(dir, $"{name}.png")));
        return written;
    }
}
