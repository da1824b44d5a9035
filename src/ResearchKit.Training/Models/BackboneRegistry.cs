using ResearchKit.Training.Weights;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>A registered backbone: its default spec and a constructor that builds a module from a (possibly adjusted) spec.</summary>
/// <param name="Spec">Default spec.</param>
/// <param name="Create">Builds a randomly initialized backbone for a spec.</param>
public sealed record BackboneEntry(BackboneSpec Spec, Func<BackboneSpec, nn.Module<Tensor, Tensor>> Create);

/// <summary>
/// Name → backbone constructor + <see cref="BackboneSpec"/>, in the style of timm's registry, so experiments refer
/// to backbones by name. <see cref="Default"/> holds the kit's backbones; <see cref="Register"/> adds more.
/// </summary>
public sealed class BackboneRegistry
{
    private readonly Dictionary<string, BackboneEntry> entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock gate = new();

    /// <summary>Small CNN for 32 px grayscale glyphs (the offline default).</summary>
    public const string GlyphCnn = "glyph-cnn";
    /// <summary>The same CNN for 32 px RGB glyphs.</summary>
    public const string GlyphCnnRgb = "glyph-cnn-rgb";
    /// <summary>Half-width glyph CNN (16-32-64-128), about 4x cheaper: the CPU profiles' backbone.</summary>
    public const string GlyphCnnSmall = "glyph-cnn-small";
    /// <summary>torchvision ResNet-50 feature extractor.</summary>
    public const string ResNet50 = "resnet50";
    /// <summary>CNTK's ImageNet ResNet-18 ([2, 2, 2, 3] blocks) from NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18, converted at first use.</summary>
    public const string ResNet18 = "resnet18";
    /// <summary>Cadene's BN-Inception feature extractor (the paper's backbone).</summary>
    public const string BNInception = "bn-inception";
    /// <summary>MLP over cached frozen features (set <see cref="BackboneSpec.InputChannels"/> to the feature size).</summary>
    public const string FeatureMlp = "feature-mlp";

    /// <summary>The shared registry with the kit's backbones.</summary>
    public static BackboneRegistry Default { get; } = CreateDefault();

    /// <summary>A new registry holding the kit's backbones.</summary>
    public static BackboneRegistry CreateDefault()
    {
        var r = new BackboneRegistry();
        var glyph = new BackboneSpec
        {
            Name = GlyphCnn, FeatureDim = 256, InputChannels = 1, InputSize = 32, ChannelOrder = ChannelOrder.Gray,
            Mean = [0.5], Std = [0.5],
        };
        r.Register(glyph, s => new GlyphCnn(new GlyphCnnOptions { InChannels = s.InputChannels, Widths = [32, 64, 128, s.FeatureDim] }));
        r.Register(glyph with { Name = GlyphCnnSmall, FeatureDim = 128 },
            s => new GlyphCnn(new GlyphCnnOptions { InChannels = s.InputChannels, Widths = [16, 32, 64, s.FeatureDim] }));
        r.Register(glyph with { Name = GlyphCnnRgb, InputChannels = 3, ChannelOrder = ChannelOrder.Rgb, Mean = [0.5, 0.5, 0.5], Std = [0.5, 0.5, 0.5] },
            s => new GlyphCnn(new GlyphCnnOptions { InChannels = s.InputChannels, Widths = [32, 64, 128, s.FeatureDim] }));
        r.Register(new BackboneSpec
        {
            Name = ResNet50, FeatureDim = Models.ResNet50.FeatureChannels,
            WeightsKeyMap = new WeightKeyMap { DropPrefixes = ["fc."] },
            WeightsFile = "resnet50.tv_in1k.safetensors",
            WeightsSource = "Hugging Face timm/resnet50.tv_in1k (model.safetensors) or torchvision resnet50-19c8e357.pth",
        }, s => new ResNet50(s.InputChannels));
        r.Register(new BackboneSpec
        {
            // The package's ResNetPreprocess.onnx: RGB 0-255 -> BGR minus a 224x224 mean image, no std. The pipeline
            // subtracts that image's channel means (it varies by about +-15 around them), which works at any input size.
            Name = ResNet18, FeatureDim = ResNet18Cntk.FeatureChannels, ChannelOrder = ChannelOrder.Bgr, InputRangeMax = 255,
            Mean = ResNet18Cntk.MeanBgr, Std = [1, 1, 1],
            WeightsFile = "resnet18-cntk.safetensors",
            WeightsSource = $"NuGet {ResNet18Package.Id} {ResNet18Package.Version} (MIT), converted from ResNet18.onnx at first use",
            ProvideWeights = ResNet18OnnxConverter.EnsureConverted,
        }, s =>
        {
            if (s.InputChannels != 3) throw new ArgumentException("ResNet-18 takes 3 input channels.", nameof(s));
            return new ResNet18Cntk();
        });
        r.Register(new BackboneSpec
        {
            Name = BNInception, FeatureDim = Models.BNInception.FeatureChannels, ChannelOrder = ChannelOrder.Bgr,
            InputRangeMax = 255, Mean = [104, 117, 128], Std = [1, 1, 1],
            WeightsKeyMap = new WeightKeyMap { DropPrefixes = ["last_linear.", "global_pool."], SqueezeLeadingSingletons = true },
            WeightsFile = "bn_inception.safetensors",
            WeightsSource = "http://data.lip6.fr/cadene/pretrainedmodels/bn_inception-52deb4733.pth (Proxy-Anchor) or bn_inception-239d2248.pth (Cadene)",
        }, s =>
        {
            if (s.InputChannels != 3) throw new ArgumentException("BN-Inception takes 3 input channels.", nameof(s));
            return new BNInception();
        });
        r.Register(new BackboneSpec
        {
            Name = FeatureMlp, FeatureDim = 1024, InputChannels = 1280, InputSize = 1, Mean = [0.0], Std = [1.0],
        }, s => new FeatureMlp(s.InputChannels, s.FeatureDim));
        return r;
    }

    /// <summary>Registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get { lock (gate) return entries.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray(); }
    }

    /// <summary>Adds a backbone.</summary>
    /// <exception cref="ArgumentException">The name is empty or already registered.</exception>
    public void Register(BackboneSpec spec, Func<BackboneSpec, nn.Module<Tensor, Tensor>> create)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(create);
        if (string.IsNullOrWhiteSpace(spec.Name)) throw new ArgumentException("Expected a non-empty backbone name.", nameof(spec));
        lock (gate)
        {
            if (!entries.TryAdd(spec.Name, new BackboneEntry(spec, create)))
                throw new ArgumentException($"Backbone '{spec.Name}' is already registered.", nameof(spec));
        }
    }

    /// <summary>The entry for <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the registered names.</exception>
    public BackboneEntry Get(string name)
    {
        lock (gate)
        {
            if (name is not null && entries.TryGetValue(name, out var e)) return e;
        }
        throw new ArgumentException($"Unknown backbone '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Builds a backbone by name, optionally adjusting its spec first (e.g. <c>s =&gt; s with { InputChannels = 3 }</c>).</summary>
    public (nn.Module<Tensor, Tensor> Backbone, BackboneSpec Spec) Create(string name, Func<BackboneSpec, BackboneSpec>? adjust = null)
    {
        var entry = Get(name);
        var spec = adjust is null ? entry.Spec : adjust(entry.Spec);
        return (entry.Create(spec), spec);
    }

    /// <summary>
    /// Builds backbone + embedding head; when <paramref name="weightsPath"/> is given, loads the converted pretrained
    /// safetensors file into the backbone with the spec's key map (strict by default), first creating the file with
    /// <see cref="BackboneSpec.ProvideWeights"/> when it is missing and the backbone can.
    /// </summary>
    public EmbeddingNetwork CreateEmbeddingNetwork(string name, EmbeddingHeadOptions? head = null, string? weightsPath = null,
        bool strict = true, Action<string>? log = null, Func<BackboneSpec, BackboneSpec>? adjust = null)
    {
        var (backbone, spec) = Create(name, adjust);
        if (weightsPath is not null)
        {
            if (!File.Exists(weightsPath)) spec.ProvideWeights?.Invoke(weightsPath);
            LoadPretrained(backbone, spec, weightsPath, strict, log);
        }
        return new EmbeddingNetwork(backbone, spec.FeatureDim, head);
    }

    /// <summary>Loads a converted safetensors file into a backbone using the spec's key map.</summary>
    public static WeightLoadReport LoadPretrained(nn.Module backbone, BackboneSpec spec, string weightsPath, bool strict = true, Action<string>? log = null)
    {
        var state = Safetensors.Read(weightsPath);
        try
        {
            return WeightLoader.Load(backbone, state, new WeightLoadOptions { KeyMap = spec.WeightsKeyMap, Strict = strict, Log = log });
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }
}
