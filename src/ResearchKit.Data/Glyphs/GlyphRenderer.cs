using SkiaSharp;

namespace ResearchKit.Data;

/// <summary>
/// Renders one character of one face into a square grey image (white ink on black), centred on its ink box
/// at a fixed em size: never scaled to fit, so case pairs that differ only in size (o/O) stay apart.
/// Hinting is off so the result does not depend on hinting settings. Not thread-safe; one per thread.
/// </summary>
public sealed class GlyphRenderer : IDisposable
{
    private readonly SKBitmap _bitmap;
    private readonly SKCanvas _canvas;
    private readonly SKPaint _paint = new() { Color = SKColors.White, IsAntialias = true };
    private readonly Dictionary<FontFace, (SKTypeface Typeface, SKFont Font)> _fonts = new();

    /// <summary>Creates a renderer for <paramref name="size"/>×<paramref name="size"/> images with the em at <paramref name="emFraction"/>×size pixels.</summary>
    public GlyphRenderer(int size, double emFraction)
    {
        if (size is < 8 or > 512) throw new ArgumentException($"size must be in [8, 512]; got {size}.", nameof(size));
        if (emFraction is <= 0 or > 2) throw new ArgumentException($"emFraction must be in (0, 2]; got {emFraction}.", nameof(emFraction));
        Size = size;
        EmPixels = (float)(emFraction * size);
        _bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
        if (_bitmap.RowBytes != size) throw new InvalidOperationException($"unexpected row padding ({_bitmap.RowBytes} bytes for {size} px).");
        _canvas = new SKCanvas(_bitmap);
    }

    /// <summary>Image side in pixels.</summary>
    public int Size { get; }
    /// <summary>Font size (em) in pixels.</summary>
    public float EmPixels { get; }

    /// <summary>True when the face has a glyph for the code point.</summary>
    public bool Covers(FontFace face, int codePoint) => Font(face).GetGlyph(codePoint) != 0;

    /// <summary>Renders the code point, or returns null when the face lacks it. The array has Size×Size bytes.</summary>
    public byte[]? Render(FontFace face, int codePoint)
    {
        var font = Font(face);
        if (font.GetGlyph(codePoint) == 0) return null;
        var text = char.ConvertFromUtf32(codePoint);
        font.MeasureText(text, out var ink, _paint);
        _canvas.Clear(SKColors.Black);
        if (!ink.IsEmpty)
            _canvas.DrawText(text, Size / 2f - ink.MidX, Size / 2f - ink.MidY, SKTextAlign.Left, font, _paint);
        _canvas.Flush();
        return _bitmap.Bytes;
    }

    private SKFont Font(FontFace face)
    {
        if (_fonts.TryGetValue(face, out var f)) return f.Font;
        var tf = face.Load();
        var font = new SKFont(tf, EmPixels) { Hinting = SKFontHinting.None, Edging = SKFontEdging.Antialias, Subpixel = true };
        _fonts[face] = (tf, font);
        return font;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (tf, font) in _fonts.Values) { font.Dispose(); tf.Dispose(); }
        _fonts.Clear();
        _paint.Dispose();
        _canvas.Dispose();
        _bitmap.Dispose();
    }
}
