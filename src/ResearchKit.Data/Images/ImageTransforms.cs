using SkiaSharp;

namespace ResearchKit.Data;

/// <summary>
/// One per-sample image transform on a Skia bitmap. <see cref="Apply"/> may return the input unchanged or a new
/// bitmap (the caller then disposes the input). Randomness comes only from the given <see cref="Random"/>, which the loader
/// seeds per (seed, epoch, sample), so results do not depend on thread scheduling.
/// </summary>
public interface IImageTransform
{
    /// <summary>Applies the transform.</summary>
    SKBitmap Apply(SKBitmap input, Random rng);
}

/// <summary>Shared drawing helper: draw the input through a matrix onto a new bitmap of the same colour type.</summary>
internal static class Draw
{
    /// <summary>Scales below this draw with mipmaps: shrinking by more than 2× aliases under plain bilinear sampling.</summary>
    public const float MipmapBelowScale = 0.5f;

    public static SKBitmap Through(SKBitmap src, int width, int height, SKMatrix matrix, float scale, SKImageFilter? filter = null)
    {
        var dst = new SKBitmap(new SKImageInfo(width, height, src.ColorType, src.AlphaType));
        using var canvas = new SKCanvas(dst);
        canvas.Clear(SKColors.Transparent);
        canvas.SetMatrix(matrix);
        using var paint = new SKPaint { ImageFilter = filter };
        // Mipmaps only when shrinking by more than 2×, where plain bilinear would alias; 256→224 does not need them.
        var sampling = scale < MipmapBelowScale ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKFilterMode.Linear);
        canvas.DrawBitmap(src, 0, 0, sampling, paint);
        canvas.Flush();
        return dst;
    }

    /// <summary>Draws the source rectangle <paramref name="crop"/> scaled onto a new width×height bitmap.</summary>
    public static SKBitmap Crop(SKBitmap src, SKRect crop, int width, int height, bool flip = false)
    {
        float sx = width / crop.Width, sy = height / crop.Height;
        var m = SKMatrix.CreateScaleTranslation(sx, sy, -crop.Left * sx, -crop.Top * sy);
        if (flip) m = SKMatrix.Concat(new SKMatrix(-1, 0, width, 0, 1, 0, 0, 0, 1), m);
        return Through(src, width, height, m, Math.Min(sx, sy));
    }
}

/// <summary>Resizes so that the shorter side is <see cref="Size"/> (aspect kept), like torchvision's Resize(int).</summary>
/// <param name="Size">Target shorter side in pixels.</param>
public sealed record Resize(int Size) : IImageTransform
{
    /// <inheritdoc />
    public SKBitmap Apply(SKBitmap input, Random rng)
    {
        int w = input.Width, h = input.Height;
        if (Math.Min(w, h) == Size) return input;
        float s = (float)Size / Math.Min(w, h);
        int nw = Math.Max(1, (int)Math.Round(w * s)), nh = Math.Max(1, (int)Math.Round(h * s));
        if (w <= h) nw = Size; else nh = Size;
        return Draw.Crop(input, new SKRect(0, 0, w, h), nw, nh);
    }
}

/// <summary>Crops the central <see cref="Size"/>×<see cref="Size"/> square (padding with black if smaller).</summary>
/// <param name="Size">Output side.</param>
public sealed record CenterCrop(int Size) : IImageTransform
{
    /// <inheritdoc />
    public SKBitmap Apply(SKBitmap input, Random rng)
    {
        if (input.Width == Size && input.Height == Size) return input;
        float left = (input.Width - Size) / 2f, top = (input.Height - Size) / 2f;
        // Integer offsets (torchvision rounds) keep the crop a pure copy, without resampling.
        left = MathF.Round(left); top = MathF.Round(top);
        return Draw.Crop(input, new SKRect(left, top, left + Size, top + Size), Size, Size);
    }
}

/// <summary>
/// torchvision's RandomResizedCrop: a crop of random area fraction in <see cref="ScaleMin"/>..<see cref="ScaleMax"/>
/// and log-uniform aspect ratio in <see cref="RatioMin"/>..<see cref="RatioMax"/> (10 tries, then a central crop),
/// resized to <see cref="Size"/>×<see cref="Size"/>.
/// </summary>
/// <param name="Size">Output side.</param>
/// <param name="ScaleMin">Smallest area fraction (0.08).</param>
/// <param name="ScaleMax">Largest area fraction (1).</param>
/// <param name="RatioMin">Smallest aspect ratio (3/4).</param>
/// <param name="RatioMax">Largest aspect ratio (4/3).</param>
public sealed record RandomResizedCrop(int Size, double ScaleMin = 0.08, double ScaleMax = 1.0, double RatioMin = 3.0 / 4, double RatioMax = 4.0 / 3) : IImageTransform
{
    /// <inheritdoc />
    public SKBitmap Apply(SKBitmap input, Random rng) => Draw.Crop(input, CropRect(input.Width, input.Height, rng), Size, Size);

    /// <summary>The crop rectangle for an image of the given size (exposed for tests).</summary>
    public SKRect CropRect(int width, int height, Random rng)
    {
        double area = (double)width * height;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (ScaleMin + rng.NextDouble() * (ScaleMax - ScaleMin));
            double ratio = Math.Exp(Math.Log(RatioMin) + rng.NextDouble() * (Math.Log(RatioMax) - Math.Log(RatioMin)));
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
            {
                int x = rng.Next(width - w + 1), y = rng.Next(height - h + 1);
                return new SKRect(x, y, x + w, y + h);
            }
        }
        // Fallback: central crop at the nearest allowed ratio.
        double r = (double)width / height;
        int cw = width, ch = height;
        if (r < RatioMin) ch = (int)Math.Round(width / RatioMin);
        else if (r > RatioMax) cw = (int)Math.Round(height * RatioMax);
        float l = (width - cw) / 2, t = (height - ch) / 2;
        return new SKRect(l, t, l + cw, t + ch);
    }
}

/// <summary>Mirrors the image left-right with probability <see cref="P"/>.</summary>
/// <param name="P">Flip probability.</param>
public sealed record RandomHorizontalFlip(double P = 0.5) : IImageTransform
{
    /// <inheritdoc />
    public SKBitmap Apply(SKBitmap input, Random rng) =>
        rng.NextDouble() < P ? Draw.Crop(input, new SKRect(0, 0, input.Width, input.Height), input.Width, input.Height, flip: true) : input;
}

/// <summary>
/// Light random affine for glyphs: rotation ±<see cref="Degrees"/>, translation ±<see cref="Translate"/>×side,
/// isotropic scale in [<see cref="ScaleMin"/>, <see cref="ScaleMax"/>], shear ±<see cref="ShearDegrees"/>; about the centre, same size.
/// </summary>
/// <param name="Degrees">Max rotation in degrees.</param>
/// <param name="Translate">Max translation as a fraction of the side.</param>
/// <param name="ScaleMin">Smallest scale.</param>
/// <param name="ScaleMax">Largest scale.</param>
/// <param name="ShearDegrees">Max horizontal shear in degrees.</param>
public sealed record RandomAffine(double Degrees = 10, double Translate = 0.06, double ScaleMin = 0.9, double ScaleMax = 1.1, double ShearDegrees = 8) : IImageTransform
{
    /// <inheritdoc />
    public SKBitmap Apply(SKBitmap input, Random rng)
    {
        float cx = input.Width / 2f, cy = input.Height / 2f;
        float angle = (float)((rng.NextDouble() * 2 - 1) * Degrees);
        float scale = (float)(ScaleMin + rng.NextDouble() * (ScaleMax - ScaleMin));
        float shear = (float)Math.Tan((rng.NextDouble() * 2 - 1) * ShearDegrees * Math.PI / 180);
        float tx = (float)((rng.NextDouble() * 2 - 1) * Translate * input.Width), ty = (float)((rng.NextDouble() * 2 - 1) * Translate * input.Height);
        var m = SKMatrix.CreateTranslation(-cx, -cy);
        m = SKMatrix.Concat(SKMatrix.CreateScale(scale, scale), m);
        m = SKMatrix.Concat(SKMatrix.CreateSkew(shear, 0), m);
        m = SKMatrix.Concat(SKMatrix.CreateRotationDegrees(angle), m);
        m = SKMatrix.Concat(SKMatrix.CreateTranslation(cx + tx, cy + ty), m);
        // Grey glyphs take the direct warp, which is Skia's to within one grey level and 4× faster; Skia keeps colour images
        // and strong shrinking (its mipmaps).
        return input.ColorType == SKColorType.Gray8 && scale >= Draw.MipmapBelowScale ? Gray8Raster.Warp(input, m) : Draw.Through(input, input.Width, input.Height, m, scale);
    }
}

/// <summary>Gaussian blur with probability <see cref="P"/> and sigma uniform in [<see cref="SigmaMin"/>, <see cref="SigmaMax"/>] pixels.</summary>
/// <param name="P">Probability of blurring.</param>
/// <param name="SigmaMin">Smallest sigma.</param>
/// <param name="SigmaMax">Largest sigma.</param>
public sealed record RandomGaussianBlur(double P = 0.3, double SigmaMin = 0.3, double SigmaMax = 1.0) : IImageTransform
{
    /// <inheritdoc />
    public SKBitmap Apply(SKBitmap input, Random rng)
    {
        if (rng.NextDouble() >= P) { rng.NextDouble(); return input; }   // same draws either way: later transforms see the same stream
        float sigma = (float)(SigmaMin + rng.NextDouble() * (SigmaMax - SigmaMin));
        using var blur = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Decal);
        return Draw.Through(input, input.Width, input.Height, SKMatrix.Identity, 1, blur);
    }
}
