using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;
using ResearchKit.Data;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Models;
using ResearchKit.Training.Optimization;
using ResearchKit.Training.Weights;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Models;

/// <summary>Converted once for every test of the class (the package file is 64 MB).</summary>
public sealed class ConvertedResNet18 : IDisposable
{
    private readonly TempDir dir = new();

    public ConvertedResNet18()
    {
        WeightsPath = dir.File("resnet18-cntk.safetensors");
        ResNet18OnnxConverter.ConvertFile(ResNet18Package.OnnxPath(), WeightsPath);
    }

    public string WeightsPath { get; }

    /// <summary>A path in the fixture's scratch folder.</summary>
    public string Scratch(string name) => dir.File(name);

    public ResNet18Cntk Load()
    {
        var net = new ResNet18Cntk();
        BackboneRegistry.LoadPretrained(net, BackboneRegistry.Default.Get(BackboneRegistry.ResNet18).Spec, WeightsPath);
        net.eval();
        return net;
    }

    public void Dispose() => dir.Dispose();
}

public sealed class ResNet18CntkTests(ConvertedResNet18 converted) : IClassFixture<ConvertedResNet18>
{
    // Real images: rendered glyphs of glyphs-tiny at 224 px, RGB on the 0-255 scale (N, 3, 224, 224).
    private static Tensor GlyphPixels(int count)
    {
        var split = DatasetRegistry.Default.Load("glyphs-tiny").Test;
        var loader = new DataLoader(split, new Picked(Enumerable.Range(0, count).Select(i => i * 97 % split.Count).ToArray()),
            ImagePipeline.RawPixels(224, grayscale: false), new DataLoaderOptions { Workers = 1 });
        using var b = loader.EpochBatches().Single();
        return b.Images.mul(255f).round().detach().clone();
    }

    private sealed class Picked(int[] indices) : IBatchSampler
    {
        public IReadOnlyList<int[]> EpochPlan(int epoch) => [indices];
    }

    private static float[] Run(InferenceSession session, string input, Tensor x)
    {
        var shape = x.shape.Select(d => (int)d).ToArray();
        var data = new DenseTensor(x.contiguous().data<float>().ToArray(), shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, data)]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    [Fact]
    public void Forward_equals_OnnxRuntime_on_the_package_file()
    {
        using var scope = NewDisposeScope();
        using var prep = new InferenceSession(ResNet18Package.PreprocessPath());
        using var onnx = new InferenceSession(ResNet18Package.OnnxPath());
        using var net = converted.Load();
        // ORT's models have a fixed batch of 1: run image by image.
        var pixels = GlyphPixels(3);
        for (int i = 0; i < pixels.shape[0]; i++)
        {
            var image = pixels[i..(i + 1)];
            var preprocessed = tensor(Run(prep, prep.InputMetadata.Keys.Single(), image), [1, 3, 224, 224]);
            var expected = Run(onnx, onnx.InputMetadata.Keys.Single(), preprocessed);
            Assert.Equal(ResNet18Cntk.FeatureChannels, expected.Length);
            using (no_grad())
            {
                var actual = net.forward(preprocessed).mean([2, 3]).flatten();
                double maxDiff = (actual - tensor(expected)).abs().max().item<float>();
                Assert.True(maxDiff <= 1e-4, $"image {i}: max |TorchSharp - OnnxRuntime| = {maxDiff:E2} on the 512-d output");
                Assert.True(actual.abs().max().item<float>() > 0.1, "the features are not all near zero");
            }
        }
    }

    [Fact]
    public void Kit_preprocessing_is_the_package_preprocessing_with_channel_means()
    {
        using var scope = NewDisposeScope();
        var meanImage = OnnxGraph.Read(ResNet18Package.PreprocessPath()).Initializers.Values.Single();
        var mean = tensor(meanImage.Values, meanImage.Shape);   // (1, 3, 224, 224), BGR
        var channelMeans = mean.mean([0, 2, 3]).data<float>().ToArray();
        var spec = BackboneRegistry.Default.Get(BackboneRegistry.ResNet18).Spec;
        for (int c = 0; c < 3; c++) Assert.Equal(channelMeans[c], spec.Mean[c], 3);

        using var prep = new InferenceSession(ResNet18Package.PreprocessPath());
        var image = GlyphPixels(1);
        var package = tensor(Run(prep, prep.InputMetadata.Keys.Single(), image), [1, 3, 224, 224]);
        var kit = TrainingData.NormalizationOf(spec).Apply(image.clone());
        // kit = BGR - channel mean; package = BGR - mean image; they differ by exactly (mean image - channel mean).
        var expected = package + mean - tensor(channelMeans).view(1, 3, 1, 1);
        Assert.True((kit - expected).abs().max().item<float>() < 1e-3);
    }

    [Fact]
    public void Conversion_is_deterministic_and_loads_strictly()
    {
        using var dir = new TempDir();
        var again = dir.File("again.safetensors");
        ResNet18OnnxConverter.ConvertFile(ResNet18Package.OnnxPath(), again);
        Assert.Equal(File.ReadAllBytes(converted.WeightsPath), File.ReadAllBytes(again));

        var entries = Safetensors.ReadHeader(again);
        Assert.Equal(110, entries.Count);   // 22 convs + 22 BN x 4
        using var net = converted.Load();   // strict: every module key but num_batches_tracked is present
        long parameters = net.parameters().Sum(p => p.numel());
        Assert.Equal(entries.Where(e => !e.Name.Contains("running_")).Sum(e => e.Shape.Aggregate(1L, (a, d) => a * d)), parameters);
        Assert.InRange(parameters, 15_800_000, 16_000_000);
    }

    [Fact]
    public void First_use_converts_the_package_file()
    {
        using var dir = new TempDir();
        var path = dir.File("weights/resnet18-cntk.safetensors");
        using var net = BackboneRegistry.Default.CreateEmbeddingNetwork(BackboneRegistry.ResNet18,
            new EmbeddingHeadOptions { EmbeddingSize = 16, Pooling = GlobalPooling.Average }, weightsPath: path);
        Assert.True(File.Exists(path));
        Assert.Equal(File.ReadAllBytes(converted.WeightsPath), File.ReadAllBytes(path));
    }

    [Fact]
    public void Missing_package_file_names_the_file_and_the_fix()
    {
        using var dir = new TempDir();
        var missing = dir.File("nowhere/ResNet18.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => ResNet18OnnxConverter.ConvertFile(missing, dir.File("w.safetensors")));
        Assert.Contains(missing, e.Message);
        Assert.Contains("dotnet restore", e.Message);
        Assert.Contains(ResNet18Package.OnnxPathVariable, e.Message);
        Assert.False(File.Exists(dir.File("w.safetensors")));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("other-model")]
    public void Corrupt_package_file_names_the_file_and_the_fix(string kind)
    {
        using var dir = new TempDir();
        var bad = dir.File("ResNet18.onnx");
        var original = File.ReadAllBytes(ResNet18Package.OnnxPath());
        File.WriteAllBytes(bad, kind switch
        {
            "truncated" => original[..(original.Length / 2)],
            "garbage" => Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray(),
            _ => File.ReadAllBytes(ResNet18Package.PreprocessPath()),   // a valid ONNX file, but not the network
        });
        var e = Assert.Throws<InvalidDataException>(() => ResNet18OnnxConverter.ConvertFile(bad, dir.File("w.safetensors")));
        Assert.Contains(bad, e.Message);
        Assert.Contains("dotnet restore", e.Message);
        Assert.False(File.Exists(dir.File("w.safetensors")));
    }

    [Fact]
    public void Paper_BN_freeze_finds_every_BatchNorm_and_keeps_them_in_eval()
    {
        using var net = BackboneRegistry.Default.CreateEmbeddingNetwork(BackboneRegistry.ResNet18, new EmbeddingHeadOptions { EmbeddingSize = 8 });
        Assert.Equal(22, Freezing.BatchNorm2dLayers(net).Count());
        Freezing.FreezeBatchNormAffine(net);
        Freezing.SetTrainMode(net, ResearchKit.Training.Config.BatchNormFreeze.EvalAndFrozenAffine);
        Assert.All(Freezing.BatchNorm2dLayers(net), bn =>
        {
            Assert.False(bn.training);
            Assert.All(bn.parameters(), p => Assert.False(p.requires_grad));
        });
        Assert.True(net.Head.Embedding.weight!.requires_grad);
    }

    [Fact]
    public void Odd_input_sides_are_refused()
    {
        using var net = new ResNet18Cntk();
        using var x = zeros(1, 3, 33, 32);
        Assert.Contains("even", Assert.Throws<ArgumentException>(() => net.forward(x)).Message);
    }
}
