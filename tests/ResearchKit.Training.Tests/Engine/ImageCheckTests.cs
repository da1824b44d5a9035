using ResearchKit.Data;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using SkiaSharp;

namespace ResearchKit.Training.Tests.Engine;

/// <summary>#12 item 11: bad image files are all reported together before training, not one by one mid-epoch.</summary>
public class ImageCheckTests
{
    private static string Png(string folder, string name, byte shade)
    {
        var path = Path.Combine(folder, name);
        using var bmp = new SKBitmap(new SKImageInfo(32, 32, SKColorType.Gray8, SKAlphaType.Opaque));
        bmp.Erase(new SKColor(shade, shade, shade));
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private static (ZeroShotDataset Dataset, string Empty, string Truncated, string Text) FileDataset(string folder)
    {
        var train = Enumerable.Range(0, 6).Select(i => Png(folder, $"train-{i}.png", (byte)(40 * i))).ToList();
        var test = Enumerable.Range(0, 4).Select(i => Png(folder, $"test-{i}.png", (byte)(50 * i))).ToList();
        File.WriteAllBytes(train[1], []);
        var bytes = File.ReadAllBytes(train[3]);
        File.WriteAllBytes(train[3], bytes[..(bytes.Length / 2)]);
        File.WriteAllText(test[2], "not an image");
        var ds = new ZeroShotDataset("glyphs-tiny",
            DataSplit.FromOriginalLabels("train", train.Select((p, i) => ((ImageSource)new FileImageSource(p), i % 2))),
            DataSplit.FromOriginalLabels("test", test.Select((p, i) => ((ImageSource)new FileImageSource(p), 10 + i % 2))));
        return (ds, train[1], train[3], test[2]);
    }

    [Fact]
    public void Decoding_every_image_lists_the_empty_truncated_and_non_image_files_together()
    {
        using var dir = new TempDir();
        var (ds, empty, truncated, text) = FileDataset(dir.Path);
        var sources = ds.Train.Samples.Concat(ds.Test.Samples).Select(s => s.Source).ToList();

        var bad = ImageCheck.Decode(sources, grayscale: true);

        Assert.Equal(new[] { empty, truncated, text }, bad.Select(b => b.Image));
        // The quick check at load sees the empty and the non-image file (headers), not the truncated one (only decoding does).
        Assert.Equal(new[] { empty, text }, ImageCheck.Quick(sources).Select(b => b.Image));
    }

    [Fact]
    public void Training_refuses_to_start_listing_every_bad_file_and_writes_nothing()
    {
        using var dir = new TempDir();
        var (ds, empty, _, text) = FileDataset(dir.Path);
        var cfg = Profiles.Smoke.Base with { BatchSize = 2, Epochs = 1 };

        var ex = Assert.Throws<InvalidDataException>(() => Trainer.Train(cfg, dir.File("run"), new TrainerOptions { Dataset = ds }));

        Assert.StartsWith("2 bad images in data set glyphs-tiny: ", ex.Message);
        Assert.Contains(empty + ": empty (0 bytes)", ex.Message);
        Assert.Contains(text + ": not a JPEG/PNG/GIF/BMP/WebP file", ex.Message);
        Assert.Contains("researchkit data verify glyphs-tiny", ex.Message);
        Assert.False(Directory.Exists(dir.File("run")));
    }
}
