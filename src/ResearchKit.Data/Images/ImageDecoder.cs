using SkiaSharp;

namespace ResearchKit.Data;

/// <summary>
/// Decodes JPEG/PNG files with Skia. A missing file throws <see cref="FileNotFoundException"/>; a corrupt or
/// truncated file throws <see cref="InvalidDataException"/>, naming the file: never a silently black image.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes <paramref name="path"/> into a new RGBA (or grey) bitmap that the caller disposes.</summary>
    /// <param name="path">Image file path.</param>
    /// <param name="grayscale">True for a <see cref="SKColorType.Gray8"/> bitmap.</param>
    /// <param name="minShortSide">
    /// When &gt; 0, JPEGs may be decoded at a reduced scale (1/2, 1/4, 1/8) as long as the shorter side stays
    /// ≥ this value: decode cost then falls with the scale, which a later resize would throw away anyway.
    /// </param>
    public static SKBitmap Decode(string path, bool grayscale = false, int minShortSide = 0)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: '{path}'", path);
        using var stream = File.OpenRead(path);
        using var codec = SKCodec.Create(stream, out var result)
            ?? throw new InvalidDataException($"cannot decode image '{path}': {result} (not a readable JPEG/PNG/WebP/GIF/BMP)");
        var size = codec.Info.Size;
        if (minShortSide > 0)
        {
            // Skia picks the nearest supported scale ≥ the request; keep the shorter side ≥ minShortSide.
            float scale = Math.Min(1f, (float)minShortSide / Math.Min(size.Width, size.Height));
            var scaled = codec.GetScaledDimensions(scale);
            if (Math.Min(scaled.Width, scaled.Height) >= minShortSide) size = scaled;
        }
        var info = new SKImageInfo(size.Width, size.Height,
            grayscale ? SKColorType.Gray8 : SKColorType.Rgba8888, grayscale ? SKAlphaType.Opaque : SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var status = codec.GetPixels(info, bitmap.GetPixels());
        if (status != SKCodecResult.Success)
        {
            bitmap.Dispose();
            // IncompleteInput means a truncated file: Skia would fill the rest with zeros, which we refuse.
            throw new InvalidDataException($"cannot decode image '{path}': {status}");
        }
        return bitmap;
    }

    /// <summary>Converts a bitmap to another colour type (e.g. grey ↔ RGBA) into a new bitmap.</summary>
    public static SKBitmap Convert(SKBitmap source, SKColorType colorType)
    {
        ArgumentNullException.ThrowIfNull(source);
        var info = new SKImageInfo(source.Width, source.Height, colorType,
            colorType == SKColorType.Gray8 ? SKAlphaType.Opaque : SKAlphaType.Premul);
        var target = new SKBitmap(info);
        if (!source.CopyTo(target, colorType))
        {
            // CopyTo does not convert every pair; drawing does.
            using var canvas = new SKCanvas(target);
            canvas.Clear(SKColors.Black);
            canvas.DrawBitmap(source, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest), null);
        }
        return target;
    }
}
