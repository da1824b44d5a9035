using ResearchKit.Losses;
using ResearchKit.Memory;
using ResearchKit.Training.Models;
using ResearchKit.Training.Weights;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Weights;

public class WeightLoaderTests
{
    private static bool SameValues(nn.Module a, nn.Module b)
    {
        var sa = a.state_dict();
        var sb = b.state_dict();
        return sa.Count == sb.Count && sa.All(kv => sb.TryGetValue(kv.Key, out var v) && v.shape.SequenceEqual(kv.Value.shape) && v.eq(kv.Value).all().item<bool>());
    }

    [Fact]
    public void ResNet50_state_dict_round_trips_through_safetensors_with_classifier_dropped()
    {
        using var dir = new TempDir();
        var path = dir.File("resnet50.safetensors");
        manual_seed(1);
        using var source = new ResNet50();
        // A torchvision file also holds fc.*; the registry's key map drops it.
        var state = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["fc.weight"] = zeros(1000, 2048);
        state["fc.bias"] = zeros(1000);
        Safetensors.Write(path, state);
        Assert.Equal(state.Count, Safetensors.ReadHeader(path).Count);

        manual_seed(2);
        using var target = new ResNet50();
        Assert.False(SameValues(source, target));
        var spec = BackboneRegistry.Default.Get(BackboneRegistry.ResNet50).Spec;
        var report = BackboneRegistry.LoadPretrained(target, spec, path);
        Assert.True(SameValues(source, target));
        Assert.Equal(new[] { "fc.bias", "fc.weight" }, report.Dropped.OrderBy(k => k));
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Equal(source.state_dict().Count, report.Loaded.Count);
    }

    [Fact]
    public void BNInception_loads_cadene_layout_with_1xC_batchnorm_vectors()
    {
        using var dir = new TempDir();
        var path = dir.File("bn_inception.safetensors");
        manual_seed(3);
        using var source = new BNInception();
        // Cadene's/Proxy-Anchor's file stores BN vectors as (1, C) and includes the classifier.
        var state = source.state_dict().ToDictionary(kv => kv.Key,
            kv => kv.Key.Contains("_bn.") && kv.Value.dim() == 1 ? kv.Value.unsqueeze(0) : kv.Value);
        state["last_linear.weight"] = zeros(1000, 1024);
        state["last_linear.bias"] = zeros(1000);
        Safetensors.Write(path, state);

        using var target = new BNInception();
        var lines = new List<string>();
        var report = BackboneRegistry.LoadPretrained(target, BackboneRegistry.Default.Get(BackboneRegistry.BNInception).Spec, path, log: lines.Add);
        Assert.True(SameValues(source, target));
        Assert.Equal(69 * 4, report.Squeezed.Count); // weight, bias, running_mean, running_var of 69 BN layers
        Assert.Equal(2, report.Dropped.Count);
        Assert.Contains(lines, l => l.StartsWith("weights: loaded"));

        // Without the squeeze option the (1, C) vectors are a shape mismatch.
        var plain = Safetensors.Read(path);
        var ex = Assert.Throws<WeightLoadException>(() => WeightLoader.Load(target, plain,
            new WeightLoadOptions { KeyMap = new WeightKeyMap { DropPrefixes = ["last_linear."] } }));
        Assert.Contains("Shape mismatch", ex.Message);
    }

    [Fact]
    public void Strict_and_lenient_loading_report_missing_and_unexpected_keys()
    {
        var net = new GlyphCnn();
        var state = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        state.Remove("features.conv1.weight");
        state["extra.weight"] = zeros(2);
        var ex = Assert.Throws<WeightLoadException>(() => WeightLoader.Load(net, state));
        Assert.Contains("features.conv1.weight", ex.Message);
        Assert.Contains("extra.weight", ex.Message);

        var lines = new List<string>();
        var report = WeightLoader.Load(net, state, new WeightLoadOptions { Strict = false, Log = lines.Add });
        Assert.Equal(new[] { "features.conv1.weight" }, report.Missing);
        Assert.Equal(new[] { "extra.weight" }, report.Unexpected);
        Assert.Contains("missing key: features.conv1.weight", lines);
        Assert.Contains("unexpected key: extra.weight", lines);
    }

    [Fact]
    public void Missing_num_batches_tracked_is_tolerated_and_prefixes_are_renamed()
    {
        var net = new EmbeddingNetwork(new GlyphCnn(), 256, new EmbeddingHeadOptions { EmbeddingSize = 8 });
        var backboneOnly = new GlyphCnn().state_dict()
            .Where(kv => !kv.Key.EndsWith("num_batches_tracked"))
            .ToDictionary(kv => "module." + kv.Key, kv => kv.Value.clone() + 1);
        var report = WeightLoader.Load(net.Backbone, backboneOnly,
            new WeightLoadOptions { KeyMap = new WeightKeyMap { RenamePrefixes = [("module.", "")] } });
        Assert.All(report.Missing, k => Assert.EndsWith("num_batches_tracked", k));
        Assert.True(net.Backbone.state_dict()["features.bn1.running_var"].allclose(full(32, 2f)));
    }

    private sealed class ObservingModule : nn.Module, IStateLoadObserver
    {
        private readonly Tensor counter = zeros(3);
        public ObservingModule() : base(nameof(ObservingModule)) => RegisterComponents();
        public int Notifications { get; private set; }
        public void OnStateLoaded() => Notifications++;
    }

    private sealed class Parent : nn.Module
    {
        private readonly ObservingModule child = new();
        public Parent() : base(nameof(Parent)) => RegisterComponents();
        public ObservingModule Child => child;
    }

    [Fact]
    public void Load_notifies_every_state_load_observer_in_the_module_tree()
    {
        using var scope = NewDisposeScope();
        using var parent = new Parent();
        WeightLoader.Load(parent, new Dictionary<string, Tensor> { ["child.counter"] = ones(3) });
        Assert.Equal(1, parent.Child.Notifications);
        WeightLoader.Load(parent.Child, new Dictionary<string, Tensor> { ["counter"] = ones(3) });
        Assert.Equal(2, parent.Child.Notifications);
    }

    [Fact]
    public void Loading_a_CP_objective_into_a_used_one_gives_the_source_queue_means()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(4);
        CalibrateProxyObjective Make() =>
            CalibrateProxyObjective.Create(4, 6, new ProxyAnchorLoss(), new CalibrateProxyOptions { StartEpoch = 0, QueuePerClass = 3 },
                dtype: ScalarType.Float64, generator: g);
        var source = Make();
        source.Center.Enqueue(randn(new long[] { 10, 6 }, ScalarType.Float64, generator: g), tensor(new long[] { 0, 1, 2, 3, 0, 0, 0, 1, 2, 2 }));
        var target = Make();
        target.Center.Enqueue(randn(new long[] { 5, 6 }, ScalarType.Float64, generator: g), tensor(new long[] { 3, 3, 1, 0, 2 }));
        _ = target.Center.Means();   // target's running statistics are now in use
        var state = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        WeightLoader.Load(target, state);
        Assert.True(target.Center.Means().allclose(source.Center.Means(), 0, 1e-15));
        Assert.True(target.Center.SquaredDeviationSums().allclose(source.Center.SquaredDeviationSums(), 0, 1e-12));
    }
}
