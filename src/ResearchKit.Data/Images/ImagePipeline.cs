using SkiaSharp;

namespace ResearchKit.Data;

/// <summary>
/// Per-sample transforms (on the worker threads), then batch-level normalization and optional pixel noise (as
/// tensor ops). Every sample must come out <see cref="Size"/>×<see cref="Size"/>.
/// </summary>
/// <param name="Size">Output side in pixels.</param>
/// <param name="Transforms">Per-sample transforms, in order.</param>
/// <param name="Grayscale">1 output channel (grey) instead of 3 (RGB).</param>
/// <param name="Normalization">Batch normalization.</param>
/// <param name="PixelNoiseStd">Std of additive Gaussian noise, in units of the full 0–255 range (0 = none); seeded per batch.</param>
public sealed record ImagePipeline(int Size, IReadOnlyList<IImageTransform> Transforms, bool Grayscale, Normalization Normalization, double PixelNoiseStd = 0)
{
    /// <summary>Output channels.</summary>
    public int Channels => Grayscale ? 1 : 3;

    /// <summary>Paper protocol, training: RandomResizedCrop(224) + horizontal flip, ImageNet normalization unless given.</summary>
    public static ImagePipeline Train(int size = 224, Normalization? normalization = null) =>
        new(size, [new RandomResizedCrop(size), new RandomHorizontalFlip()], false, normalization ?? Normalization.ImageNet);

    /// <summary>Paper protocol, evaluation: Resize(256) + CenterCrop(224).</summary>
    public static ImagePipeline Eval(int resize = 256, int size = 224, Normalization? normalization = null) =>
        new(size, [new Resize(resize), new CenterCrop(size)], false, normalization ?? Normalization.ImageNet);

    /// <summary>Glyph training: light random affine, blur and pixel noise, grey.</summary>
    public static ImagePipeline GlyphTrain(int size = 32) =>
        new(size, [new RandomAffine(), new RandomGaussianBlur()], true, Normalization.Gray, PixelNoiseStd: 0.05);

    /// <summary>Glyph evaluation: no augmentation, grey.</summary>
    public static ImagePipeline GlyphEval(int size = 32) => new(size, [new Resize(size), new CenterCrop(size)], true, Normalization.Gray);

    /// <summary>Raw pixels in [0,1] at <paramref name="size"/>×<paramref name="size"/> (resize + center crop), for baselines.</summary>
    public static ImagePipeline RawPixels(int size, bool grayscale) => new(size, [new Resize(size), new CenterCrop(size)], grayscale, Normalization.ZeroOne);

    /// <summary>
    /// Decodes and transforms one sample into <paramref name="destination"/> as H×W×K bytes (K = 1 grey, 4 RGBA).
    /// </summary>
    public void Process(ImageSource source, Random rng, Span<byte> destination)
    {
        // A leading Resize lets JPEGs decode at a reduced scale (the resize would discard the detail anyway).
        int hint = Transforms.Count > 0 && Transforms[0] is Resize r ? r.Size : 0;
        var bmp = source is FileImageSource f ? ImageDecoder.Decode(f.Path, Grayscale, hint) : source.Open(Grayscale);
        try
        {
            foreach (var t in Transforms)
            {
                var next = t.Apply(bmp, rng);
                if (!ReferenceEquals(next, bmp)) { bmp.Dispose(); bmp = next; }
            }
            if (bmp.Width != Size || bmp.Height != Size)
                throw new InvalidOperationException($"pipeline produced {bmp.Width}×{bmp.Height} for {source.Describe()}, expected {Size}×{Size}: end it with a crop to {Size}.");
            int rowBytes = Size * BytesPerPixel;
            if (destination.Length != rowBytes * Size) throw new ArgumentException($"destination must hold {rowBytes * Size} bytes.", nameof(destination));
            var pixels = bmp.GetPixelSpan();
            for (int y = 0; y < Size; y++) pixels.Slice(y * bmp.RowBytes, rowBytes).CopyTo(destination.Slice(y * rowBytes, rowBytes));
        }
        finally { bmp.Dispose(); }
    }

    /// <summary>Bytes per pixel of the working bitmaps (1 grey, 4 RGBA).</summary>
    public int BytesPerPixel => Grayscale ? 1 : 4;

    internal static SKColorType ColorType(bool grayscale) => grayscale ? SKColorType.Gray8 : SKColorType.Rgba8888;
}
