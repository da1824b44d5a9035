using SkiaSharp;

namespace ResearchKit.Data;

/// <summary>Where a sample's pixels come from. <see cref="Open"/> returns a fresh bitmap the caller disposes.</summary>
public abstract record ImageSource
{
    /// <summary>Decodes the image into a new bitmap (<see cref="SKColorType.Rgba8888"/> or <see cref="SKColorType.Gray8"/>).</summary>
    /// <param name="grayscale">True to get a <see cref="SKColorType.Gray8"/> bitmap, false for RGBA.</param>
    public abstract SKBitmap Open(bool grayscale);

    /// <summary>A short human-readable identifier (a path, or buffer name and index) used in error messages.</summary>
    public abstract string Describe();
}

/// <summary>An encoded image file (JPEG, PNG, ...) on disk.</summary>
/// <param name="Path">Absolute path of the file.</param>
public sealed record FileImageSource(string Path) : ImageSource
{
    /// <inheritdoc />
    public override SKBitmap Open(bool grayscale) => ImageDecoder.Decode(Path, grayscale);

    /// <inheritdoc />
    public override string Describe() => Path;
}

/// <summary>One image of a <see cref="PixelBuffer"/> (e.g. a rendered glyph or a Fashion-MNIST digit).</summary>
/// <param name="Buffer">The buffer holding the pixels.</param>
/// <param name="Index">Index of the image in the buffer.</param>
public sealed record PixelImageSource(PixelBuffer Buffer, int Index) : ImageSource
{
    /// <inheritdoc />
    public override SKBitmap Open(bool grayscale) => Buffer.ToBitmap(Index, grayscale);

    /// <inheritdoc />
    public override string Describe() => $"{Buffer.Name}[{Index}]";
}

/// <summary>
/// Many same-sized 8-bit images stored contiguously (N×H×W×C bytes), the compact in-memory form of generated
/// and IDX data sets.
/// </summary>
public sealed class PixelBuffer
{
    /// <summary>Creates a buffer; <paramref name="data"/> must hold exactly count×height×width×channels bytes.</summary>
    /// <param name="name">Name used in error messages.</param>
    /// <param name="data">Pixel bytes, image-major, then rows, columns, channels.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    public PixelBuffer(string name, byte[] data, int count, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (count < 0 || height <= 0 || width <= 0) throw new ArgumentException($"count must be ≥ 0 and height, width > 0; got {count}×{height}×{width}.", nameof(count));
        if (channels is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3; got {channels}.", nameof(channels));
        if ((long)count * height * width * channels != data.LongLength)
            throw new ArgumentException($"data must hold count×height×width×channels = {(long)count * height * width * channels} bytes; got {data.LongLength}.", nameof(data));
        (Name, Data, Count, Height, Width, Channels) = (name, data, count, height, width, channels);
    }

    /// <summary>Name used in error messages.</summary>
    public string Name { get; }
    /// <summary>The pixel bytes (N×H×W×C).</summary>
    public byte[] Data { get; }
    /// <summary>Number of images.</summary>
    public int Count { get; }
    /// <summary>Image height.</summary>
    public int Height { get; }
    /// <summary>Image width.</summary>
    public int Width { get; }
    /// <summary>Channels per pixel (1 or 3).</summary>
    public int Channels { get; }
    /// <summary>Bytes per image.</summary>
    public int ImageBytes => Height * Width * Channels;

    /// <summary>The bytes of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"index must be in [0, {Count}); got {index}.");
        return Data.AsSpan(index * ImageBytes, ImageBytes);
    }

    /// <summary>Copies image <paramref name="index"/> into a new bitmap.</summary>
    public SKBitmap ToBitmap(int index, bool grayscale)
    {
        var pixels = Image(index);
        if (Channels == 1)
        {
            var gray = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Gray8, SKAlphaType.Opaque));
            CopyRows(pixels, gray, Width);
            if (grayscale) return gray;
            using (gray) return ImageDecoder.Convert(gray, SKColorType.Rgba8888);
        }
        // RGB → RGBA: expand once per image; images here are small (≤ 64 px) so this is cheap.
        var rgba = new byte[Width * Height * 4];
        for (int p = 0, q = 0; p < pixels.Length; p += 3, q += 4)
        {
            rgba[q] = pixels[p]; rgba[q + 1] = pixels[p + 1]; rgba[q + 2] = pixels[p + 2]; rgba[q + 3] = 255;
        }
        var color = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        CopyRows(rgba, color, Width * 4);
        if (!grayscale) return color;
        using (color) return ImageDecoder.Convert(color, SKColorType.Gray8);
    }

    private static void CopyRows(ReadOnlySpan<byte> src, SKBitmap dst, int rowBytes)
    {
        var ptr = dst.GetPixels();
        for (int y = 0; y < dst.Height; y++)
            src.Slice(y * rowBytes, rowBytes).CopyTo(MemorySpan(ptr + y * dst.RowBytes, rowBytes));
    }

    private static unsafe Span<byte> MemorySpan(nint ptr, int length) => new((void*)ptr, length);
}
