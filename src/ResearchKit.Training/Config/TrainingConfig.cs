using System.Text.Json;
using ResearchKit.Training.Models;

namespace ResearchKit.Training.Config;

/// <summary>Learning-rate schedule kind (stepped once per epoch).</summary>
public enum LrScheduleKind
{
    /// <summary>StepLR: multiply by <see cref="LrScheduleConfig.Gamma"/> every <see cref="LrScheduleConfig.StepSize"/> epochs (Proxy-Anchor).</summary>
    Step,
    /// <summary>Cosine annealing from the base rate to <see cref="LrScheduleConfig.MinLr"/> over the run.</summary>
    Cosine,
}

/// <summary>
/// How BatchNorm layers of the backbone are treated (Proxy-Anchor's <c>--bn-freeze 1</c>).
/// </summary>
public enum BatchNormFreeze
{
    /// <summary>BatchNorm2d in eval mode with weight and bias frozen for the whole run (losses.md §1.2).</summary>
    EvalAndFrozenAffine,
    /// <summary>
    /// Proxy-Anchor's code taken literally: eval mode throughout, affine frozen at construction, but the end of the
    /// warm-up re-enables <c>requires_grad</c> on every backbone parameter, BN affine included.
    /// </summary>
    EvalAffineTrainedAfterWarmup,
    /// <summary>BatchNorm trains normally (Proxy-Anchor's SOP setting).</summary>
    None,
}

/// <summary>What the trainer feeds the network: images, or cached outputs of a frozen pretrained front.</summary>
public enum CachedInput
{
    /// <summary>Images through the augmenting pipeline; the whole backbone trains (after the warm-up).</summary>
    Images,
    /// <summary>The frozen backbone's pooled features, cached once (evaluation pipeline); only the head trains.</summary>
    BackboneFeatures,
    /// <summary>ResNet-18's layer-3 activations, cached once; stage 4 and the head train (a CPU approximation of fine-tuning).</summary>
    Layer3Activations,
}

/// <summary>Learning-rate schedule settings.</summary>
public sealed record LrScheduleConfig
{
    /// <summary>Schedule kind.</summary>
    public LrScheduleKind Kind { get; init; } = LrScheduleKind.Step;

    /// <summary>StepLR step in epochs (Proxy-Anchor <c>--lr-decay-step</c> 10; README: 10 CUB, 20 Cars/SOP).</summary>
    public int StepSize { get; init; } = 10;

    /// <summary>StepLR factor (Proxy-Anchor <c>--lr-decay-gamma</c> 0.5; SOP 0.25).</summary>
    public double Gamma { get; init; } = 0.5;

    /// <summary>Cosine floor.</summary>
    public double MinLr { get; init; }
}

/// <summary>
/// Everything a training run needs, with the paper's defaults (CP §IV = Proxy-Anchor's <c>train.py</c> defaults:
/// BN-Inception, D = 512, batch 150, 60 epochs, AdamW lr 1e-4 / wd 1e-4, proxies 100× lr, 1 warm-up epoch, BN frozen,
/// clip grad value 10, StepLR(10, 0.5)). Saved resolved into every run directory (<see cref="TrainingConfigJson"/>).
/// </summary>
public sealed partial record TrainingConfig
{
    /// <summary>Data set name in <see cref="ResearchKit.Data.DatasetRegistry"/> (<c>researchkit data list</c>); the paper's main set is CUB.</summary>
    public string Dataset { get; init; } = "cub";

    /// <summary>Backbone name in <see cref="BackboneRegistry"/>.</summary>
    public string Backbone { get; init; } = BackboneRegistry.BNInception;

    /// <summary>Converted pretrained backbone weights (safetensors), or null for random initialization.</summary>
    public string? PretrainedWeights { get; init; }

    /// <summary>Embedding size D.</summary>
    public int EmbeddingSize { get; init; } = 512;

    /// <summary>Global pooling of the embedding head.</summary>
    public GlobalPooling Pooling { get; init; } = GlobalPooling.AveragePlusMax;

    /// <summary>Batch size (randomly sampled, drop_last).</summary>
    public int BatchSize { get; init; } = 150;

    /// <summary>Training epochs.</summary>
    public int Epochs { get; init; } = 60;

    /// <summary>Base learning rate (backbone group).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>AdamW weight decay (applied to every group, as in Proxy-Anchor).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Embedding-head learning rate as a multiple of the base rate (Proxy-Anchor: 1).</summary>
    public double HeadLrMultiplier { get; init; } = 1;

    /// <summary>Proxy learning rate as a multiple of the base rate (Proxy-Anchor: 100).</summary>
    public double ProxyLrMultiplier { get; init; } = 100;

    /// <summary>Epochs at the start during which the backbone is frozen (only head and proxies train).</summary>
    public int WarmupEpochs { get; init; } = 1;

    /// <summary>BatchNorm treatment.</summary>
    public BatchNormFreeze BatchNormFreeze { get; init; } = BatchNormFreeze.EvalAndFrozenAffine;

    /// <summary><c>clip_grad_value_</c> bound for model and loss parameters; 0 disables clipping.</summary>
    public double GradClipValue { get; init; } = 10;

    /// <summary>Learning-rate schedule.</summary>
    public LrScheduleConfig Schedule { get; init; } = new();

    /// <summary>Evaluate every n epochs (Proxy-Anchor: every epoch).</summary>
    public int EvalEveryEpochs { get; init; } = 1;

    /// <summary>Checkpoints to keep (most recent first); older ones are deleted.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Seed for torch and System.Random (Proxy-Anchor's train.py seeds with 1).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Device string for <c>torch.device</c> (<c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Intra-op threads for libtorch; 0 keeps libtorch's default.</summary>
    public int Threads { get; init; }

    /// <summary>Loss section: the chosen base loss with its options, CP on/off and CP's options.</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(LossConfigJsonConverter))]
    public LossConfig Loss { get; init; } = new();

    /// <summary>Symmetric label-noise rate applied to the training split (Table V; 0 = clean labels).</summary>
    public double LabelNoiseRate { get; init; }

    /// <summary>Image side in pixels; 0 uses the backbone's input size (glyphs 32, ImageNet backbones 224).</summary>
    public int ImageSize { get; init; }

    /// <summary>Compute the proxy–center deviation (Eq. 10) over the training set every n epochs; 0 disables it.</summary>
    public int DeviationEveryEpochs { get; init; } = 1;

    /// <summary>Also compute NMI (k-means on the test embeddings) at each evaluation.</summary>
    public bool ComputeNmi { get; init; }

    /// <summary>
    /// Train on images (default) or on cached outputs of the frozen front of the pretrained backbone (one view per image,
    /// no augmentation; shared by runs through <see cref="Engine.TrainerOptions.FeatureCacheDirectory"/>).
    /// </summary>
    public CachedInput CachedInput { get; init; }

    /// <summary>Image-decoding worker threads of the data loader; 0 uses the processor count.</summary>
    public int Workers { get; init; }

    /// <summary>Checks ranges; throws naming the first bad field.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it and the expected range.</exception>
    public TrainingConfig Validate()
    {
        static void Require(bool ok, string field, string expected, object? actual)
        {
            if (!ok) throw new ArgumentException($"TrainingConfig.{field} must be {expected}; got {actual}.", field);
        }
        Require(!string.IsNullOrWhiteSpace(Dataset), nameof(Dataset), "a data set name", Dataset);
        Require(!string.IsNullOrWhiteSpace(Backbone), nameof(Backbone), "a backbone name", Backbone);
        Require(EmbeddingSize > 0, nameof(EmbeddingSize), "> 0", EmbeddingSize);
        Require(BatchSize > 0, nameof(BatchSize), "> 0", BatchSize);
        Require(Epochs > 0, nameof(Epochs), "> 0", Epochs);
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), "a positive finite number", LearningRate);
        Require(WeightDecay >= 0, nameof(WeightDecay), ">= 0", WeightDecay);
        Require(HeadLrMultiplier > 0, nameof(HeadLrMultiplier), "> 0", HeadLrMultiplier);
        Require(ProxyLrMultiplier > 0, nameof(ProxyLrMultiplier), "> 0", ProxyLrMultiplier);
        Require(WarmupEpochs >= 0 && WarmupEpochs < Epochs, nameof(WarmupEpochs), "in [0, Epochs)", WarmupEpochs);
        Require(GradClipValue >= 0, nameof(GradClipValue), ">= 0 (0 disables clipping)", GradClipValue);
        Require(Schedule is not null, nameof(Schedule), "set", Schedule);
        Require(Schedule!.StepSize > 0, "Schedule.StepSize", "> 0", Schedule.StepSize);
        Require(Schedule.Gamma > 0 && Schedule.Gamma <= 1, "Schedule.Gamma", "in (0, 1]", Schedule.Gamma);
        Require(Schedule.MinLr >= 0 && Schedule.MinLr < LearningRate, "Schedule.MinLr", "in [0, LearningRate)", Schedule.MinLr);
        Require(EvalEveryEpochs > 0, nameof(EvalEveryEpochs), "> 0", EvalEveryEpochs);
        Require(KeepCheckpoints > 0, nameof(KeepCheckpoints), "> 0", KeepCheckpoints);
        Require(Threads >= 0, nameof(Threads), ">= 0 (0 = libtorch default)", Threads);
        Require(Device is not null && DeviceSyntax().IsMatch(Device), nameof(Device), "cpu, cuda or cuda:N (e.g. cuda:1)", $"'{Device}'");
        Require(Loss is not null, nameof(Loss), "set", Loss);
        Loss!.Validate();
        Require(LabelNoiseRate >= 0 && LabelNoiseRate < 1, nameof(LabelNoiseRate), "in [0, 1)", LabelNoiseRate);
        Require(ImageSize == 0 || ImageSize >= 8, nameof(ImageSize), "0 (backbone default) or >= 8", ImageSize);
        Require(DeviationEveryEpochs >= 0, nameof(DeviationEveryEpochs), ">= 0 (0 disables)", DeviationEveryEpochs);
        Require(CachedInput == CachedInput.Images || PretrainedWeights is not null, nameof(CachedInput),
            "Images unless PretrainedWeights is set (a frozen random front is no pretrained regime)", CachedInput);
        Require(Workers >= 0, nameof(Workers), ">= 0 (0 = processor count)", Workers);
        return this;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(cpu|cuda(:[0-9]+)?)$")]
    private static partial System.Text.RegularExpressions.Regex DeviceSyntax();
}
