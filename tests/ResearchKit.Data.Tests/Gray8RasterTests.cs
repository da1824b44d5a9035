using SkiaSharp;

namespace ResearchKit.Data.Tests;

/// <summary>
/// <see cref="Gray8Raster.Warp"/> against Skia's drawing of the same bitmap through the same matrix (<c>Draw.Through</c>,
/// what <see cref="RandomAffine"/> used for every image before): within one grey level on every pixel, on glyph-like
/// images with black and with white backgrounds (the source edge: clamped inside, 0 outside) and on noise.
/// </summary>
public class Gray8RasterTests
{
    // Source pixels whose centre maps within this distance of the source's edge: Skia's fixed-point edge walk decides
    // whether they are drawn at all.
    private const float MaxEdgeDistance = 0.05f;

    [Theory]
    [InlineData(0, 32)]
    [InlineData(255, 32)]
    [InlineData(0, 28)]
    [InlineData(255, 57)]
    public void Warp_matches_Skia_within_one_grey_level(byte background, int size)
    {
        var rng = new Random(size * 1000 + background);
        int differing = 0, total = 0;
        for (int i = 0; i < 200; i++)
        {
            using var src = i % 4 == 3 ? Noise(rng, size) : Shapes(rng, size, background);
            var m = RandomMatrix(rng, size, maxDegrees: i % 2 == 0 ? 10 : 60);
            using var expected = Draw.Through(src, size, size, m, 1);
            using var actual = Gray8Raster.Warp(src, m);
            var e = expected.GetPixelSpan();
            var a = actual.GetPixelSpan();
            m.TryInvert(out var inv);
            for (int p = 0; p < size * size; p++)
            {
                int d = Math.Abs(e[p] - a[p]);
                total++;
                if (d == 0) continue;
                differing++;
                // only at the source's edge may the two disagree by more than rounding (MaxEdgeDistance)
                var centre = inv.MapPoint(p % size + 0.5f, p / size + 0.5f);
                float edge = Math.Min(Math.Min(centre.X, size - centre.X), Math.Min(centre.Y, size - centre.Y));
                Assert.True(d <= 1 || Math.Abs(edge) < MaxEdgeDistance, $"image {i}, pixel ({p % size}, {p / size}), {edge:F4} px from the source's edge: Skia {e[p]}, Warp {a[p]}");
            }
        }
        Assert.True(differing < total / 100, $"{differing} of {total} pixels differ by one level");
    }

    [Fact]
    public void The_identity_keeps_every_pixel()
    {
        using var src = Noise(new Random(1), 32);
        using var warped = Gray8Raster.Warp(src, SKMatrix.Identity);
        Assert.True(src.GetPixelSpan().SequenceEqual(warped.GetPixelSpan()));
    }

    [Fact]
    public void A_singular_matrix_is_named()
    {
        using var src = Noise(new Random(2), 8);
        var ex = Assert.Throws<ArgumentException>(() => Gray8Raster.Warp(src, SKMatrix.CreateScale(0, 1)));
        Assert.Equal("matrix", ex.ParamName);
    }

    [Fact]
    public void RandomAffine_still_draws_colour_images_with_Skia()
    {
        using var rgba = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Premul));
        rgba.Erase(SKColors.Red);
        using var warped = new RandomAffine().Apply(rgba, new Random(3));
        Assert.Equal(SKColorType.Rgba8888, warped.ColorType);
        Assert.Equal(SKColors.Red, warped.GetPixel(8, 8));
    }

    // RandomAffine's composition (scale, shear, rotation about the centre, translation) with wider ranges.
    private static SKMatrix RandomMatrix(Random rng, int size, double maxDegrees)
    {
        float c = size / 2f;
        var m = SKMatrix.CreateTranslation(-c, -c);
        m = SKMatrix.Concat(SKMatrix.CreateScale((float)(0.7 + rng.NextDouble() * 0.6), (float)(0.7 + rng.NextDouble() * 0.6)), m);
        m = SKMatrix.Concat(SKMatrix.CreateSkew((float)Math.Tan((rng.NextDouble() * 2 - 1) * 0.3), 0), m);
        m = SKMatrix.Concat(SKMatrix.CreateRotationDegrees((float)((rng.NextDouble() * 2 - 1) * maxDegrees)), m);
        return SKMatrix.Concat(SKMatrix.CreateTranslation(c + (float)((rng.NextDouble() * 2 - 1) * 0.15 * size), c + (float)((rng.NextDouble() * 2 - 1) * 0.15 * size)), m);
    }

    // Antialiased strokes and discs, like a rendered glyph, on a plain background.
    private static SKBitmap Shapes(Random rng, int size, byte background)
    {
        var bmp = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bmp);
        canvas.Clear(new SKColor(background, background, background));
        using var paint = new SKPaint { IsAntialias = true, StrokeWidth = size / 10f, Style = SKPaintStyle.Stroke };
        for (int s = 0; s < 4; s++)
        {
            byte ink = (byte)(255 - background);
            paint.Color = new SKColor(ink, ink, ink);
            canvas.DrawLine((float)rng.NextDouble() * size, (float)rng.NextDouble() * size, (float)rng.NextDouble() * size, (float)rng.NextDouble() * size, paint);
            canvas.DrawCircle((float)rng.NextDouble() * size, (float)rng.NextDouble() * size, size / 8f, paint);
        }
        canvas.Flush();
        return bmp;
    }

    private static SKBitmap Noise(Random rng, int size)
    {
        var bmp = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
        rng.NextBytes(bmp.GetPixelSpan());
        return bmp;
    }
}
