using static TorchSharp.torch;

namespace ResearchKit.Data.Tests;

public class FeatureAndBaselineTests
{
    // Recall@1 by plain argmax over cosine similarity: only a sanity check of the data, not the kit's metric.
    private static double RecallAt1(Tensor emb, DataSplit split)
    {
        using var scope = NewDisposeScope();
        var sim = emb.mm(emb.t());
        sim = sim.sub(eye(sim.shape[0]).mul(1e9f));   // exclude each query itself
        var nn1 = sim.argmax(1);
        var labels = split.Labels();
        return labels.index_select(0, nn1).eq(labels).to(ScalarType.Float64).mean().item<double>();
    }

    [Fact]
    public void Glyphs_tiny_raw_pixel_baseline_is_learnable_but_not_trivial()
    {
        using var root = new TempDir();
        var ds = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path).Dataset;
        using var emb = RawPixelBaseline.Embeddings(ds.Test, 32);
        Assert.Equal([ds.Test.Count, 32 * 32], emb.shape);
        Assert.True(emb.norm(1).sub(1).abs().max().item<float>() < 1e-4f);
        var r1 = RecallAt1(emb, ds.Test);
        Assert.InRange(r1, 0.5, 0.995);   // spec §2.4 measured 97.8 on 62 DejaVu classes: far above chance (1/40)
    }

    [Fact]
    public void Baseline_report_agrees_with_an_independent_nearest_neighbour_and_is_a_same_set_evaluation()
    {
        using var root = new TempDir();
        var ds = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path).Dataset;
        var info = DatasetRegistry.Info("glyphs-tiny");
        var baseline = RawPixelBaseline.Evaluate(ds, info);
        Assert.False(baseline.Evaluated.IsSubsample);
        Assert.Same(ds.Test, baseline.Evaluated.Split);
        var result = baseline.Retrieval;
        using var emb = RawPixelBaseline.Embeddings(ds.Test, info.BaselineSize, info.Grayscale);
        // No exact ties among raw-pixel cosines here, so argmax and the kit's tie-broken kNN agree.
        Assert.Equal(RecallAt1(emb, ds.Test), result.RecallAt[1], 12);
        Assert.True(result.QueryIsReference);
        Assert.Equal(ds.Test.Count, result.QueryCount);
        Assert.InRange(result.MapAtR, 0.05, result.RPrecision);   // MAP@R <= R-Precision by definition
    }

    [Fact]
    public void Fashion_mnist_from_debian_loads_5_5_classes()
    {
        // CI installs dataset-fashion-mnist (.ci/apt-packages.txt): its absence is a failure, not a skip.
        Assert.True(Directory.Exists(FashionMnistLoader.DebianDirectory), "dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)");
        var ds = FashionMnistLoader.Load();
        Assert.Equal(5, ds.Train.ClassCount);
        Assert.Equal(5, ds.Test.ClassCount);
        Assert.Equal(70_000, ds.Train.Count + ds.Test.Count);
        Assert.All(ds.Train.ClassCounts.Concat(ds.Test.ClassCounts), c => Assert.Equal(7000, c));
        Assert.Equal([5, 6, 7, 8, 9], ds.Test.ClassIds);
        var sub = DataSplit.FromOriginalLabels("fm-sub", ds.Test.Samples.Where((_, i) => i % 10 == 0).Select(s => (s.Source, s.OriginalLabel)));
        using var emb = RawPixelBaseline.Embeddings(sub, 28);
        Assert.InRange(RecallAt1(emb, sub), 0.5, 0.999);
    }

    [Fact]
    public void Idx_files_with_wrong_magic_are_named()
    {
        using var t = new TempDir();
        var p = t.Sub("train-images-idx3-ubyte");
        File.WriteAllBytes(p, new byte[32]);
        Assert.Contains(p, Assert.Throws<InvalidDataException>(() => FashionMnistLoader.ReadImages(p)).Message);
    }

    [Fact]
    public void Feature_cache_runs_the_backbone_once_and_loads_back_identically()
    {
        using var root = new TempDir();
        var ds = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path).Dataset;
        int calls = 0;
        using var proj = randn(32 * 32, 16, generator: new Generator(1));
        Tensor Backbone(Tensor x) { Interlocked.Increment(ref calls); return x.flatten(1).mm(proj); }
        var path = root.Sub("features", "tiny-train.rkfeat");

        using var a = FeatureCache.GetOrCreate(path, ds.Train, Backbone, ImagePipeline.GlyphEval(), "random-proj-1", out var fromCache1, batchSize: 100);
        int callsAfterFirst = calls;
        using var b = FeatureCache.GetOrCreate(path, ds.Train, Backbone, ImagePipeline.GlyphEval(), "random-proj-1", out var fromCache2, batchSize: 100);
        Assert.False(fromCache1);
        Assert.True(fromCache2);
        Assert.Equal(callsAfterFirst, calls);
        Assert.True(a.Features.allclose(b.Features, 0, 0));
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal([ds.Train.Count, 16], b.Features.shape);

        using var c = FeatureCache.GetOrCreate(path, ds.Train, Backbone, ImagePipeline.GlyphEval(), "random-proj-2", out var fromCache3, batchSize: 100);
        Assert.False(fromCache3);   // another backbone key invalidates the cache

        var loader = new FeatureLoader(b, new MPerClassSampler(ds.Train.Samples.Select(s => s.Label).ToList(), 2, 20, 0));
        foreach (var batch in loader.EpochBatches())
            using (batch)
            {
                Assert.Equal([20, 16], batch.Images.shape);
                Assert.Equal(batch.Indices.Select(i => b.Labels[i]), batch.Labels.data<long>().ToArray());
            }
    }

    [Fact]
    public void A_second_filler_of_the_same_cache_waits_for_the_first_and_loads_its_file()
    {
        using var root = new TempDir();
        var ds = GlyphDataset.Load(GlyphDatasetOptions.Tiny, root.Path).Dataset;
        int calls = 0;
        using var proj = randn(32 * 32, 16, generator: new Generator(1));
        Tensor Backbone(Tensor x) { Interlocked.Increment(ref calls); return x.flatten(1).mm(proj); }
        var path = root.Sub("features", "tiny-train.rkfeat");
        using var first = FeatureCache.GetOrCreate(path, ds.Train, Backbone, ImagePipeline.GlyphEval(), "k", out _, batchSize: 100);
        File.Delete(path);
        int callsBefore = calls;

        // Another worker holds the fill lock (an exclusive lock on the hidden sibling file) while it extracts.
        var lockPath = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.lock");
        var holder = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        bool fromCache = false;
        var waiter = new Thread(() => { using var s = FeatureCache.GetOrCreate(path, ds.Train, Backbone, ImagePipeline.GlyphEval(), "k", out fromCache, batchSize: 100); });
        waiter.Start();
        Assert.False(waiter.Join(TimeSpan.FromSeconds(1)));   // blocked, not extracting
        Assert.Equal(callsBefore, calls);
        first.Save(path);   // the holder's file lands, then it lets go
        holder.Dispose();
        Assert.True(waiter.Join(TimeSpan.FromSeconds(30)));
        Assert.True(fromCache);
        Assert.Equal(callsBefore, calls);
    }

    [Fact]
    public void Truncated_feature_file_is_refused()
    {
        using var t = new TempDir();
        using var set = new FeatureSet("x", "fp", ones(4, 3), [0, 0, 1, 1], [5, 5, 6, 6], [false, true, false, false], [5, 6]);
        var p = t.Sub("x.rkfeat");
        set.Save(p);
        using (var back = FeatureSet.Load(p)) Assert.Equal(set.IsNoisy, back.IsNoisy);
        var bytes = File.ReadAllBytes(p);
        File.WriteAllBytes(p, bytes[..^5]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => FeatureSet.Load(p)).Message);
    }

    [Fact]
    public void Registry_knows_every_data_set_and_rejects_unknown_names()
    {
        Assert.Equal(["glyphs-tiny", "glyphs", "fashion-mnist", "cub", "cars", "sop"], DatasetRegistry.Default.Names);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => DatasetRegistry.Info("imagenet")).ParamName);
        using var t = new TempDir();
        Fixtures.Sop(t.Path);
        Assert.Equal("sop", DatasetRegistry.Default.Load("sop", t.Path).Name);
    }

    [Fact]
    public void An_unknown_name_never_falls_back_to_a_registered_data_set()
    {
        // Before the registry, every name not matched by the loader's switch loaded SOP.
        using var t = new TempDir();
        Fixtures.Sop(t.Path);
        var e = Assert.Throws<ArgumentException>(() => DatasetRegistry.Default.Load("imagenet", t.Path));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("unknown data set 'imagenet'; expected one of glyphs-tiny, glyphs, fashion-mnist, cub, cars, sop", e.Message);
    }

    [Fact]
    public void A_registered_data_set_loads_through_its_own_loader_and_names_are_unique()
    {
        using var t = new TempDir();
        Fixtures.Sop(t.Path);
        var registry = DatasetRegistry.CreateDefault();
        string? seenRoot = null;
        registry.Register(new DatasetInfo("sop-copy", "the SOP fixture under another name", 16, false, true), (root, warn) =>
        {
            seenRoot = root;
            warn("loaded the copy");
            return SopLoader.Load(root);
        });
        var warnings = new List<string>();
        var loaded = registry.Load("sop-copy", t.Path, warnings.Add);
        Assert.Equal(5 * 2, loaded.Train.Count);   // the fixture: 5 training classes of 2 images
        Assert.Equal(t.Path, seenRoot);
        Assert.Equal(["loaded the copy"], warnings);
        Assert.True(registry.Get("sop-copy").Info.Offline);
        Assert.DoesNotContain("sop-copy", DatasetRegistry.Default.Names);   // a new registry leaves the shared one alone
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() =>
            registry.Register(new DatasetInfo("cub", "again", 64, false, false), (_, _) => throw new InvalidOperationException())).Message);
    }

    [Fact]
    public void Data_root_honours_the_environment_variable()
    {
        var old = Environment.GetEnvironmentVariable(DataRoot.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataRoot.EnvironmentVariable, "/tmp/rk-root-test");
            Assert.Equal("/tmp/rk-root-test", DataRoot.Default);
            Environment.SetEnvironmentVariable(DataRoot.EnvironmentVariable, null);
            Assert.EndsWith(Path.Combine(".researchkit", "data"), DataRoot.Default);
        }
        finally { Environment.SetEnvironmentVariable(DataRoot.EnvironmentVariable, old); }
    }
}
