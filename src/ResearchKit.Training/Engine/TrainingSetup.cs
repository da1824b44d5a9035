using System.Diagnostics;
using System.Runtime.InteropServices;
using ResearchKit.Data;
using ResearchKit.Losses;
using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using ResearchKit.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// Everything a run needs, built and checked before its folder is written: config ranges, the device, the data set (with
/// a quick check of every image file), the batch size against the training split, the backbone (with its pretrained
/// weights) and a forward pass at the configured image size, the loss, the optimizer. A start that would fail fails here,
/// naming the field or file, and leaves no run folder behind (<see cref="Trainer.Train"/>).
/// </summary>
/// <param name="Config">The validated config.</param>
/// <param name="Data">Data set, training split and pipelines.</param>
/// <param name="Inputs">What the network trains on (image batches, or cached activations of a frozen pretrained front) and
/// the trainable network itself, on <paramref name="Device"/>.</param>
/// <param name="Loss">The objective, on <paramref name="Device"/>.</param>
/// <param name="Optimizer">AdamW over network and proxies.</param>
/// <param name="Device">The device.</param>
/// <param name="Workers">Decode workers.</param>
public sealed record TrainingSetup(TrainingConfig Config, TrainingData Data, RunInputs Inputs, ProxyObjectiveModule Loss,
    OptimizerSetup Optimizer, Device Device, int Workers) : IDisposable
{
    /// <summary>The trainable network (<see cref="RunInputs.Network"/>).</summary>
    public EmbeddingNetwork Network => Inputs.Network;

    /// <summary>Releases the inputs (cached feature tensors, loader).</summary>
    public void Dispose() => Inputs.Dispose();

    /// <summary>Checks and builds; <paramref name="log"/> hears what is being loaded and built, with timings.</summary>
    /// <param name="config">The run's config.</param>
    /// <param name="options">Runtime options (preloaded data set, data root).</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="cacheDirectory">Where cached frozen-front activations live (<see cref="TrainingConfig.CachedInput"/>; extracted
    /// there when missing); unused for image inputs.</param>
    /// <exception cref="ArgumentException">A field, the device, the data set or the image size cannot work; the message names it.</exception>
    /// <exception cref="FileNotFoundException">The data set or pretrained weights are missing; the message names the path and the fix.</exception>
    /// <exception cref="InvalidDataException">Image files are missing, empty or not images; all of them are listed.</exception>
    public static TrainingSetup Build(TrainingConfig config, TrainerOptions options, Action<string> log, string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        config.Validate();
        var device = DeviceCheck.Resolve(config.Device);
        Determinism.Initialize(config.Seed, config.Threads);   // before anything draws a random number (label noise, weights)
        var spec = BackboneRegistry.Default.Get(config.Backbone).Spec;   // unknown backbone: names the registered ones
        var info = DatasetRegistry.Info(config.Dataset);                  // unknown data set: names the known ones
        if (config.PretrainedWeights is { } weights && !File.Exists(weights))
        {
            // A backbone that can make its own weights (ResNet-18 from its NuGet package) does it here, before anything is
            // written, so the first run of a pretrained profile converts instead of failing; its errors name their fix.
            if (spec.ProvideWeights is { } provide)
            {
                log($"converting pretrained weights for {config.Backbone} to {weights} ({spec.WeightsSource}) …");
                provide(weights);
            }
            if (!File.Exists(weights))
                throw new FileNotFoundException($"TrainingConfig.PretrainedWeights: '{Path.GetFullPath(weights)}' not found " +
                    $"(source: {spec.WeightsSource ?? "none recorded"}; convert with data-scripts/convert_weights.py, see docs/pretrained-weights.md, or set it to null).", weights);
        }

        var sw = Stopwatch.StartNew();
        log($"loading data set {info.Name}{(options.Dataset is null ? $" from {options.DataRoot ?? DataRoot.Default}" : " (preloaded)")} …");
        var data = LoadData(config, options, info);
        log($"  {data.Train.Count} training images ({data.Train.ClassCount} classes), {data.Dataset.Test.Count} test images " +
            $"({data.Dataset.Test.ClassCount} classes) in {sw.Elapsed.TotalSeconds:0.0} s");
        if (config.BatchSize > data.Train.Count)
            throw new ArgumentException($"TrainingConfig.BatchSize must be at most the {data.Train.Count} training images of {info.Name}; got {config.BatchSize}.",
                nameof(TrainingConfig.BatchSize));
        var bad = ImageCheck.Quick(data.Train.Samples.Concat(data.Dataset.Test.Samples).Select(s => s.Source));
        if (bad.Count > 0)
            throw new InvalidDataException(ImageCheck.Describe(bad, $"data set {info.Name}") +
                $" (decode-check all of them with `researchkit data verify {info.Name}`)");

        RequirePipelines(data, config);

        sw.Restart();
        log($"building {config.Backbone} (D = {config.EmbeddingSize}{(config.PretrainedWeights is null ? ", random init" : $", weights {config.PretrainedWeights}")}) " +
            $"and the {config.Loss.Kind} loss{(config.Loss.CalibrateProxy ? " with CP" : "")} on {config.Device} …");
        int workers = config.Workers > 0 ? config.Workers : Environment.ProcessorCount;
        // Images, or cached outputs of a frozen pretrained front (extracted here on a cache miss); the network is what trains on them.
        var inputs = RunInputs.Create(config, data, device, workers, cacheDirectory, log);
        try
        {
            var net = inputs.Network;
            var loss = LossFactory.Create(config.Loss, data.Train.ClassCount, config.EmbeddingSize);
            if (config.BatchNormFreeze != BatchNormFreeze.None) Freezing.FreezeBatchNormAffine(net);
            net.to(device);
            loss.to(device);   // before the optimizer: .to() replaces parameter objects (platform.md §5.2)
            // Cached inputs went through the frozen front at extraction already; the forward check is for image inputs.
            if (config.CachedInput == CachedInput.Images) RequireForwardPass(net, data.TrainPipeline, config, spec, device);
            var optimizer = OptimizerFactory.AdamW(ParameterGroups.From(net, loss), config);
            long parameters = net.parameters().Sum(p => p.numel()) + loss.parameters().Sum(p => p.numel());
            log($"  {parameters:N0} trainable-network and loss parameters, built in {sw.Elapsed.TotalSeconds:0.0} s");
            return new TrainingSetup(config, data, inputs, loss, optimizer, device, workers);
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    private static TrainingData LoadData(TrainingConfig config, TrainerOptions options, DatasetInfo info)
    {
        var root = options.DataRoot ?? DataRoot.Default;
        try
        {
            return TrainingData.For(config, options.Dataset, options.DataRoot);
        }
        catch (Exception e) when (options.Dataset is null && !info.Offline && e is FileNotFoundException or DirectoryNotFoundException)
        {
            var where = Directory.Exists(root) ? $"the data root '{Path.GetFullPath(root)}' does not hold it ({e.Message})"
                : $"the data root '{Path.GetFullPath(root)}' does not exist";
            throw new FileNotFoundException($"data set '{info.Name}' is not installed: {where}. It is {info.Description}: fetch it with " +
                $"the script named there, or point --data-root (or ${DataRoot.EnvironmentVariable}) at the folder that holds it.", e);
        }
    }

    // The first image through both pipelines: an image size the pipelines cannot produce fails here, naming the field.
    private static void RequirePipelines(TrainingData data, TrainingConfig config)
    {
        var source = data.Train.Samples[0].Source;
        foreach (var pipeline in new[] { data.TrainPipeline, data.EvalPipeline })
        {
            try { pipeline.Process(source, new Random(0), new byte[pipeline.Size * pipeline.Size * pipeline.BytesPerPixel]); }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException($"TrainingConfig.ImageSize {config.ImageSize} does not work with {data.Dataset.Name}'s images " +
                    $"({FirstLine(e.Message)}); use 0 for the backbone's default size.", nameof(TrainingConfig.ImageSize), e);
            }
        }
    }

    // One forward pass of zeros at the pipeline's size, in eval mode without gradients: it updates no statistic and draws
    // no random number, so the run stays bit-identical; it turns "the image size is too small for this backbone" into a
    // message naming TrainingConfig.ImageSize instead of a libtorch shape error at the first step.
    private static void RequireForwardPass(EmbeddingNetwork net, ImagePipeline pipeline, TrainingConfig config, BackboneSpec spec, Device device)
    {
        bool training = net.training;
        net.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            net.forward(zeros(new long[] { 2, pipeline.Channels, pipeline.Size, pipeline.Size }, device: device));
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"TrainingConfig.ImageSize {config.ImageSize} gives {pipeline.Size}×{pipeline.Size} images, which {config.Backbone} " +
                $"cannot take (its forward pass fails: {FirstLine(e.Message)}); use 0 for its default {spec.InputSize} or a larger size.",
                nameof(TrainingConfig.ImageSize), e);
        }
        finally
        {
            net.train(training);
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}

/// <summary>Checks a device string against what this build and machine have.</summary>
public static class DeviceCheck
{
    /// <summary>The device for <paramref name="device"/> (syntax checked by <see cref="TrainingConfig.Validate"/>).</summary>
    /// <exception cref="ArgumentException">CUDA asked for on a machine or build without it, or a GPU index past the last.</exception>
    public static Device Resolve(string device)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        if (device.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException($"TrainingConfig.Device '{device}' is not available: this build or machine has no CUDA " +
                    "(the default build uses TorchSharp-cpu; on a CUDA machine build with -p:TorchBackend=cuda). Use cpu here.", nameof(TrainingConfig.Device));
            int index = device.Length > 5 ? int.Parse(device[5..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            int count = torch.cuda.device_count();
            if (index >= count)
                throw new ArgumentException($"TrainingConfig.Device '{device}': this machine has {count} CUDA device(s) (cuda:0 … cuda:{count - 1}).", nameof(TrainingConfig.Device));
        }
        return torch.device(device);
    }
}
