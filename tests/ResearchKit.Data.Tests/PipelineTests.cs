using SkiaSharp;
using static TorchSharp.torch;

namespace ResearchKit.Data.Tests;

public class PipelineTests
{
    private static DataSplit Folder(TempDir t, int classes, int perClass, int w = 300, int h = 260)
    {
        var rows = new List<(ImageSource, int)>();
        for (int c = 0; c < classes; c++)
            for (int k = 0; k < perClass; k++)
            {
                var p = t.Sub($"c{c}", $"{k}.jpg");
                Fixtures.Image(p, c * 100 + k + 3, w, h);   // sample 0 has seed 3: background (111, 17, 159)
                rows.Add((new FileImageSource(p), c + 1));
            }
        return DataSplit.FromOriginalLabels("folder", rows);
    }

    [Fact]
    public void Corrupt_and_truncated_images_throw_naming_the_file_never_black()
    {
        using var t = new TempDir();
        var good = t.Sub("good.jpg");
        Fixtures.Image(good, 1, 64, 64);
        var truncated = t.Sub("truncated.jpg");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var garbage = t.Sub("garbage.png");
        File.WriteAllText(garbage, "not an image at all");
        Assert.Contains(truncated, Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(truncated)).Message);
        Assert.Contains(garbage, Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(garbage)).Message);
        Assert.Contains(t.Sub("missing.jpg"), Assert.Throws<FileNotFoundException>(() => ImageDecoder.Decode(t.Sub("missing.jpg"))).Message);
    }

    [Fact]
    public void Corrupt_image_inside_a_batch_surfaces_from_the_loader()
    {
        using var t = new TempDir();
        var split = Folder(t, 2, 3, 32, 32);
        var victim = ((FileImageSource)split.Samples[4].Source).Path;
        File.WriteAllBytes(victim, [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
        var loader = new DataLoader(split, new SequentialBatchSampler(split.Count, 3), ImagePipeline.Eval(32, 32));
        var e = Assert.Throws<InvalidDataException>(() => { foreach (var b in loader.EpochBatches()) b.Dispose(); });
        Assert.Contains(victim, e.Message);
    }

    [Fact]
    public void Decodes_png_and_jpeg_to_the_right_colour()
    {
        using var t = new TempDir();
        foreach (var png in new[] { false, true })
        {
            var p = t.Sub(png ? "a.png" : "a.jpg");
            Fixtures.Image(p, 3, 40, 30, png);
            using var bmp = ImageDecoder.Decode(p);
            Assert.Equal((40, 30), (bmp.Width, bmp.Height));
            var px = bmp.GetPixel(39, 29);   // background colour of seed 3: (111, 17, 159)
            Assert.InRange(px.Red, 104, 118); Assert.InRange(px.Green, 10, 24); Assert.InRange(px.Blue, 152, 166);
        }
    }

    [Fact]
    public void Eval_pipeline_resizes_short_side_and_centre_crops_with_imagenet_and_bninception_normalization()
    {
        using var t = new TempDir();
        var split = Folder(t, 1, 2, 300, 260);
        var rgb = new DataLoader(split, new SequentialBatchSampler(2, 2), ImagePipeline.Eval(256, 224)).EpochBatches().Single();
        var bgr = new DataLoader(split, new SequentialBatchSampler(2, 2), ImagePipeline.Eval(256, 224, Normalization.BnInception)).EpochBatches().Single();
        Assert.Equal([2, 3, 224, 224], rgb.Images.shape);
        Assert.Equal(ScalarType.Float32, rgb.Images.dtype);
        Assert.Equal(ScalarType.Int64, rgb.Labels.dtype);
        // Corner pixel is background (111, 17, 159): check both conventions against it.
        var r = rgb.Images[0, .., 223, 223].contiguous().data<float>().ToArray();
        Assert.InRange(r[0], (104 / 255f - 0.485f) / 0.229f, (118 / 255f - 0.485f) / 0.229f);
        var b = bgr.Images[0, .., 223, 223].contiguous().data<float>().ToArray();
        Assert.InRange(b[0], 152 - 104, 166 - 104);   // B first, minus 104
        Assert.InRange(b[2], 104 - 128, 118 - 128);   // R last, minus 128
        rgb.Dispose(); bgr.Dispose();
    }

    [Fact]
    public void Random_resized_crop_stays_inside_and_respects_scale_and_ratio()
    {
        var rrc = new RandomResizedCrop(224);
        var rng = new Random(5);
        for (int i = 0; i < 500; i++)
        {
            var r = rrc.CropRect(500, 375, rng);
            Assert.True(r.Left >= 0 && r.Top >= 0 && r.Right <= 500 && r.Bottom <= 375);
            double area = r.Width * r.Height / (500.0 * 375);
            Assert.InRange(area, 0.07, 1.0);
            Assert.InRange(r.Width / r.Height, 0.74, 1.35);
        }
    }

    [Fact]
    public void Horizontal_flip_mirrors_pixels()
    {
        using var bmp = new SKBitmap(new SKImageInfo(4, 1, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int x = 0; x < 4; x++) bmp.SetPixel(x, 0, new SKColor((byte)(x * 60), (byte)(x * 60), (byte)(x * 60)));
        using var flipped = new RandomHorizontalFlip(1.0).Apply(bmp, new Random(0));
        Assert.Equal(bmp.Bytes.Reverse(), flipped.Bytes);
    }

    [Fact]
    public void Train_pipeline_is_deterministic_for_a_seed_and_differs_across_seeds()
    {
        using var t = new TempDir();
        var split = Folder(t, 2, 4, 80, 60);
        Tensor Run(int seed, int workers)
        {
            var l = new DataLoader(split, new RandomBatchSampler(8, 4, seed: 1), ImagePipeline.Train(48), new DataLoaderOptions { Seed = seed, Workers = workers });
            var parts = l.EpochBatches().Select(b => b.Images).ToList();
            return cat(parts, 0);
        }
        Assert.True(Run(1, 1).allclose(Run(1, 2), 0, 0));
        Assert.False(Run(1, 2).allclose(Run(2, 2), 1e-3, 1e-3));
    }

    [Fact]
    public void Glyph_augmentation_changes_images_but_keeps_them_close()
    {
        using var root = new TempDir();
        var ds = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path).Dataset;
        var sampler = new SequentialBatchSampler(64, 64);
        using var clean = new DataLoader(ds.Train, sampler, ImagePipeline.GlyphEval()).EpochBatches().First();
        using var aug = new DataLoader(ds.Train, sampler, ImagePipeline.GlyphTrain(), new DataLoaderOptions { Seed = 3 }).EpochBatches().First();
        Assert.Equal([64, 1, 32, 32], aug.Images.shape);
        var diff = (aug.Images - clean.Images).abs().mean().item<float>();
        Assert.InRange(diff, 0.02f, 0.6f);
        // Same glyph after augmentation is still more like itself than like a random other glyph.
        var a = nn.functional.normalize(aug.Images.flatten(1), dim: 1);
        var c = nn.functional.normalize(clean.Images.flatten(1), dim: 1);
        var sim = a.mm(c.t());
        Assert.True(sim.diag().mean().item<float>() > sim.mean().item<float>());
    }

    [Theory]
    [InlineData("imagenet")]
    [InlineData("bninception")]
    public void Loader_normalization_equals_the_reference_formula(string which)
    {
        using var t = new TempDir();
        var split = Folder(t, 2, 2, 50, 40);
        var norm = which == "imagenet" ? Normalization.ImageNet : Normalization.BnInception;
        var identity = new Normalization([0f], [1f], 1f, false);
        var sampler = new SequentialBatchSampler(4, 4);
        using var raw = new DataLoader(split, sampler, ImagePipeline.Eval(40, 32, identity)).EpochBatches().Single();
        using var got = new DataLoader(split, sampler, ImagePipeline.Eval(40, 32, norm)).EpochBatches().Single();
        using var expected = norm.Apply(raw.Images);
        Assert.True(got.Images.allclose(expected, 1e-5, 1e-4));
    }

    [Fact]
    public void Grey_buffers_feed_rgb_pipelines_with_equal_channels()
    {
        var data = new byte[2 * 4 * 4];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7);
        var buffer = new PixelBuffer("g", data, 2, 4, 4, 1);
        using var rgb = new PixelImageSource(buffer, 1).Open(grayscale: false);
        Assert.Equal(SKColorType.Rgba8888, rgb.ColorType);
        var px = rgb.GetPixel(3, 2);
        Assert.Equal((data[16 + 2 * 4 + 3], data[16 + 2 * 4 + 3], data[16 + 2 * 4 + 3]), (px.Red, px.Green, px.Blue));
        Assert.Throws<ArgumentException>(() => new PixelBuffer("bad", new byte[5], 2, 4, 4, 1));
    }
}
