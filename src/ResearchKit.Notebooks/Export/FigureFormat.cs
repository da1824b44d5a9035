namespace ResearchKit.Notebooks.Export;

/// <summary>Figure file formats.</summary>
public enum FigureFormat
{
    /// <summary>Raster, rendered by plotly.js at <see cref="FigureSize.Scale"/>.</summary>
    Png,
    /// <summary>Vector, plotly.js's own SVG.</summary>
    Svg,
    /// <summary>Vector, printed by Chromium at the figure's size.</summary>
    Pdf,
}

/// <summary>A figure's size in CSS pixels and the raster scale (2 gives a 2× PNG for print).</summary>
/// <param name="Width">Width in px (≥ 50).</param>
/// <param name="Height">Height in px (≥ 50).</param>
/// <param name="Scale">PNG pixel density (0.5–8); ignored by SVG and PDF.</param>
public sealed record FigureSize(int Width, int Height, double Scale = 2.0)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for sizes outside the documented ranges.</summary>
    public void Validate()
    {
        if (Width < 50 || Width > 10000) throw new ArgumentOutOfRangeException(nameof(Width), Width, "width must be 50–10000 px");
        if (Height < 50 || Height > 10000) throw new ArgumentOutOfRangeException(nameof(Height), Height, "height must be 50–10000 px");
        if (!(Scale >= 0.5 && Scale <= 8)) throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "scale must be 0.5–8");
    }

    /// <summary>The format a file name asks for (.png, .svg, .pdf).</summary>
    /// <exception cref="ArgumentException">Another extension.</exception>
    public static FigureFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => FigureFormat.Png,
        ".svg" => FigureFormat.Svg,
        ".pdf" => FigureFormat.Pdf,
        var ext => throw new ArgumentException($"cannot export to '{ext}': use a .png, .svg or .pdf file name", nameof(path)),
    };
}
