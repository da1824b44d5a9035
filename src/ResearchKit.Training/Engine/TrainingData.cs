using ResearchKit.Data;
using ResearchKit.Training.Config;
using ResearchKit.Training.Models;

namespace ResearchKit.Training.Engine;

/// <summary>The data of one run: the (possibly noisy) training split, the held-out test split and their image pipelines.</summary>
/// <param name="Dataset">The zero-shot data set (train and test classes disjoint).</param>
/// <param name="Train">Training split (with label noise applied when configured).</param>
/// <param name="TrainPipeline">Augmenting pipeline for training batches.</param>
/// <param name="EvalPipeline">Deterministic pipeline for evaluation and deviation passes.</param>
public sealed record TrainingData(ZeroShotDataset Dataset, DataSplit Train, ImagePipeline TrainPipeline, ImagePipeline EvalPipeline)
{
    /// <summary>Loads <see cref="TrainingConfig.Dataset"/> through <see cref="DatasetRegistry"/> (or uses <paramref name="preloaded"/>).</summary>
    /// <exception cref="ArgumentException">Unknown data set name.</exception>
    public static TrainingData For(TrainingConfig config, ZeroShotDataset? preloaded = null, string? dataRoot = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var info = DatasetRegistry.Info(config.Dataset);
        var dataset = preloaded ?? DatasetRegistry.Default.Load(info.Name, dataRoot);
        var train = config.LabelNoiseRate > 0 ? LabelNoise.Symmetric(dataset.Train, config.LabelNoiseRate, config.Seed).Split : dataset.Train;
        var spec = BackboneRegistry.Default.Get(config.Backbone).Spec;
        int size = config.ImageSize > 0 ? config.ImageSize : spec.InputSize;
        if (info.Grayscale && spec.InputChannels == 1)
            return new TrainingData(dataset, train, ImagePipeline.GlyphTrain(size), ImagePipeline.GlyphEval(size));
        var norm = NormalizationOf(spec);
        // Proxy-Anchor: RandomResizedCrop(224) + flip for training; Resize(256) + CenterCrop(224) for evaluation.
        return new TrainingData(dataset, train, ImagePipeline.Train(size, norm), ImagePipeline.Eval(size * 8 / 7, size, norm));
    }

    /// <summary>The pixel normalization a backbone's spec asks for (range, channel order, mean, std).</summary>
    /// <exception cref="ArgumentException">Mean and std lengths differ.</exception>
    public static Normalization NormalizationOf(BackboneSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Mean.Count != spec.Std.Count)
            throw new ArgumentException($"spec '{spec.Name}' has {spec.Mean.Count} means but {spec.Std.Count} stds.", nameof(spec));
        return new Normalization(spec.Mean.Select(m => (float)m).ToArray(), spec.Std.Select(v => (float)v).ToArray(),
            (float)(spec.InputRangeMax / 255.0), spec.ChannelOrder == ChannelOrder.Bgr);
    }
}
