using System.Globalization;

namespace ResearchKit.Notebooks.Charts;

/// <summary>
/// The one publication style of every kit chart: font, sizes, colours, axis lines and ticks, grid and legend. Colours are
/// the colour-blind-safe Okabe–Ito palette (yellow last, it is faint on white); beyond eight series, evenly spaced hues.
/// </summary>
public sealed record ChartTheme
{
    /// <summary>Okabe–Ito, reordered for contrast on white.</summary>
    public static readonly IReadOnlyList<string> OkabeIto =
        ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

    /// <summary>The default theme.</summary>
    public static ChartTheme Publication { get; } = new();

    /// <summary>CSS font family; DejaVu Sans is what Debian's Chromium has for the exports.</summary>
    public string FontFamily { get; init; } = "DejaVu Sans, Arial, Helvetica, sans-serif";

    /// <summary>Base font size in px (ticks, legend); axis titles use it too.</summary>
    public int FontSize { get; init; } = 14;

    /// <summary>Chart title size in px.</summary>
    public int TitleFontSize { get; init; } = 17;

    /// <summary>Default figure width in px.</summary>
    public int Width { get; init; } = 720;

    /// <summary>Default figure height in px.</summary>
    public int Height { get; init; } = 450;

    /// <summary>Series colours in order.</summary>
    public IReadOnlyList<string> Colors { get; init; } = OkabeIto;

    /// <summary>Line width in px.</summary>
    public double LineWidth { get; init; } = 2.2;

    /// <summary>Marker size in px.</summary>
    public int MarkerSize { get; init; } = 7;

    /// <summary>Colour of text, axis lines and ticks.</summary>
    public string InkColor { get; init; } = "#222222";

    /// <summary>Colour of grid lines.</summary>
    public string GridColor { get; init; } = "#E5E5E5";

    /// <summary>Colour of series <paramref name="index"/> (palette first, then golden-angle hues).</summary>
    public string Color(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (index < Colors.Count) return Colors[index];
        var hue = (index - Colors.Count) * 137.508 % 360.0;
        return string.Create(CultureInfo.InvariantCulture, $"hsl({hue:0.0},65%,45%)");
    }

    /// <summary>The series colour made translucent, for error bands.</summary>
    public string Translucent(int index, double alpha = 0.18)
    {
        var c = Color(index);
        if (c.StartsWith('#') && c.Length == 7)
        {
            int r = Convert.ToInt32(c[1..3], 16), g = Convert.ToInt32(c[3..5], 16), b = Convert.ToInt32(c[5..7], 16);
            return string.Create(CultureInfo.InvariantCulture, $"rgba({r},{g},{b},{alpha:0.###})");
        }
        return c.Replace("hsl(", "hsla(").Replace(")", string.Create(CultureInfo.InvariantCulture, $",{alpha:0.###})"));
    }
}
