using System.Diagnostics;
using ResearchKit.Data;
using SkiaSharp;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>data-pipeline</c>: images/s of the loader (decode + transforms + batch tensor) for the paper's 256→224 JPEG
/// pipelines on synthetic 256×256 JPEGs, and for the glyph training pipeline on glyphs-tiny.
/// Args: [images=512] [batch=64] [workers=cores].
/// </summary>
public sealed class DataPipelineBench : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "data-pipeline";
    /// <inheritdoc />
    public string Description => "images/s of the 256->224 JPEG train/eval pipelines and the glyph pipeline";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        int images = args.Length > 0 ? int.Parse(args[0]) : 512;
        int batch = args.Length > 1 ? int.Parse(args[1]) : 64;
        int workers = args.Length > 2 ? int.Parse(args[2]) : Environment.ProcessorCount;
        var dir = Path.Combine(Path.GetTempPath(), "rk-bench-jpeg-" + Guid.NewGuid().ToString("N"));
        try
        {
            var split = MakeJpegs(dir, images);
            var opts = new DataLoaderOptions { Workers = workers, Prefetch = 2, Seed = 1 };
            Console.WriteLine($"{images} JPEGs 256x256 (q90, {new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Average(f => f.Length) / 1024:0} KiB avg), batch {batch}, workers {workers}, cores {Environment.ProcessorCount}");
            Measure("train RandomResizedCrop(224)+flip, ImageNet norm", new DataLoader(split, new RandomBatchSampler(split.Count, batch, 1), ImagePipeline.Train(224), opts));
            Measure("eval Resize(256)+CenterCrop(224), ImageNet norm", new DataLoader(split, new SequentialBatchSampler(split.Count, batch), ImagePipeline.Eval(256, 224), opts));
            Measure("eval Resize(256)+CenterCrop(224), BN-Inception norm", new DataLoader(split, new SequentialBatchSampler(split.Count, batch), ImagePipeline.Eval(256, 224, Normalization.BnInception), opts));
            var glyphRoot = Path.Combine(dir, "data");
            var glyphs = GlyphDataset.Load(GlyphDatasetOptions.Tiny, glyphRoot).Dataset.Train;
            Measure("glyphs-tiny GlyphTrain(32): affine+blur+noise", new DataLoader(glyphs, new RandomBatchSampler(glyphs.Count, 128, 1), ImagePipeline.GlyphTrain(), opts with { }));
            return 0;
        }
        finally { Directory.Delete(dir, true); }
    }

    private static void Measure(string label, DataLoader loader)
    {
        // One warm-up epoch (JIT, page cache), then the best of three timed epochs.
        foreach (var b in loader.EpochBatches()) b.Dispose();
        double best = 0, perCpu = 0;
        var process = Process.GetCurrentProcess();
        for (int rep = 0; rep < 3; rep++)
        {
            int n = 0;
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            foreach (var b in loader.EpochBatches()) { n += b.Indices.Length; b.Dispose(); }
            double wall = sw.Elapsed.TotalSeconds;
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            if (n / wall > best) { best = n / wall; perCpu = n / cpu; }
        }
        // Images per CPU-second is what the pipeline costs regardless of other load on a shared machine.
        Console.WriteLine($"{label,-56} {best,8:0} images/s wall {perCpu,8:0} images/CPU-s");
    }

    private static DataSplit MakeJpegs(string dir, int count)
    {
        var rng = new Random(0);
        var rows = new List<(ImageSource, int)>();
        using var bmp = new SKBitmap(new SKImageInfo(256, 256, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bmp);
        using var paint = new SKPaint { IsAntialias = true };
        for (int i = 0; i < count; i++)
        {
            // Photo-like content: smooth shapes plus texture, so JPEG sizes resemble real photos.
            canvas.Clear(new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            for (int s = 0; s < 40; s++)
            {
                paint.Color = new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(80, 256));
                canvas.DrawCircle(rng.Next(256), rng.Next(256), rng.Next(4, 60), paint);
            }
            var path = Path.Combine(dir, $"c{i % 16}", $"{i}.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var data = bmp.Encode(SKEncodedImageFormat.Jpeg, 90)) File.WriteAllBytes(path, data.ToArray());
            rows.Add((new FileImageSource(path), i % 16));
        }
        return DataSplit.FromOriginalLabels("bench-jpeg", rows);
    }
}
