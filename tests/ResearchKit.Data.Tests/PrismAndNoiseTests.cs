using static TorchSharp.torch;

namespace ResearchKit.Data.Tests;

public class PrismAndNoiseTests
{
    // CUB fixture with 3 images per class and PRISM lists: clean train, a noisy list with 12 flips of which
    // 3 go to the stray test label 101 (like the real 0.2/0.5 lists), its cleaned list, and the test list.
    private static (string Root, string Dir) PrismCub(TempDir t)
    {
        Fixtures.Cub(t.Path, perClass: 3);
        var dir = t.Sub("datalist");
        Directory.CreateDirectory(dir);
        var rows = File.ReadAllLines(Path.Combine(t.Path, "CUB_200_2011", "images.txt")).Zip(File.ReadAllLines(Path.Combine(t.Path, "CUB_200_2011", "image_class_labels.txt")))
            .Select(p => (Path: "/data/CUB_200_2011/images/" + p.First.Split(' ')[1], Label: int.Parse(p.Second.Split(' ')[1])))
            .Where(r => !r.Path.Contains("/._")).ToList();
        var train = rows.Where(r => r.Label <= 100).ToList();
        File.WriteAllLines(Path.Combine(dir, "CUB_train.csv"), train.Select(r => $"{r.Path},{r.Label}"));
        File.WriteAllLines(Path.Combine(dir, "CUB_test.csv"), rows.Where(r => r.Label > 100).Select(r => $"{r.Path},{r.Label}"));
        var noisy = train.Select((r, i) => i % 25 == 0 ? (r.Path, Label: i % 100 == 0 ? 101 : r.Label % 100 + 1) : r).ToList();
        // PRISM's CARS 0.1 list is shuffled: joining must be on path, not on row order.
        File.WriteAllLines(Path.Combine(dir, "CUB_0.2noised_train.csv"), noisy.AsEnumerable().Reverse().Select(r => $"{r.Path},{r.Label}"));
        File.WriteAllLines(Path.Combine(dir, "CUB_0.2noised_cleaned_train.csv"), noisy.Where((r, i) => i % 25 != 0).Select(r => $"{r.Path},{r.Label}"));
        return (t.Path, dir);
    }

    [Fact]
    public void Prism_noisy_list_keeps_label_101_as_an_extra_class_by_default()
    {
        using var t = new TempDir();
        var (root, dir) = PrismCub(t);
        var r = PrismLists.LoadNoisy(Path.Combine(dir, "CUB_0.2noised_train.csv"), Path.Combine(dir, "CUB_train.csv"), root,
            Path.Combine(dir, "CUB_0.2noised_cleaned_train.csv"));
        Assert.Equal(101, r.Split.ClassCount);
        Assert.Equal(101, r.Split.ClassIds[^1]);
        Assert.Equal(3, r.ForeignLabelSamples);
        Assert.Equal(300, r.Split.Count);
        Assert.Equal(12, r.Split.Samples.Count(s => s.IsNoisy));
        Assert.Equal(12 / 300.0, r.RealisedNoiseRate, 12);
        Assert.All(r.Split.Samples.Where(s => s.OriginalLabel == 101), s => Assert.True(s.IsNoisy));
        Assert.All(r.Split.Samples, s => Assert.Equal(s.IsNoisy, s.OriginalLabel != s.CleanOriginalLabel));
    }

    [Fact]
    public void Prism_noisy_list_can_drop_the_stray_label()
    {
        using var t = new TempDir();
        var (root, dir) = PrismCub(t);
        var r = PrismLists.LoadNoisy(Path.Combine(dir, "CUB_0.2noised_train.csv"), Path.Combine(dir, "CUB_train.csv"), root,
            foreignLabels: ForeignLabelPolicy.Drop);
        Assert.Equal(100, r.Split.ClassCount);
        Assert.Equal(297, r.Split.Count);
        Assert.Equal(9, r.Split.Samples.Count(s => s.IsNoisy));   // without the cleaned list: label ≠ clean label
    }

    [Fact]
    public void Prism_clean_test_list_loads_with_contiguous_labels()
    {
        using var t = new TempDir();
        var (root, dir) = PrismCub(t);
        var test = PrismLists.LoadClean(Path.Combine(dir, "CUB_test.csv"), root);
        Assert.Equal(100, test.ClassCount);
        Assert.Equal(101, test.ClassIds[0]);
        Assert.Equal(0, test.Samples[0].Label);
    }

    [Fact]
    public void Prism_cars_list_joins_onto_the_class_folder_layout()
    {
        using var t = new TempDir();
        var cars = Fixtures.CarsClassFolders(t.Path);
        var ds = CarsLoader.Load(t.Path);
        var list = t.Sub("CARS_train.csv");
        File.WriteAllLines(list, ds.Train.Samples.Select(s => "/data/" + Path.GetRelativePath(t.Path, ((FileImageSource)s.Source).Path) + "," + s.OriginalLabel));
        var split = PrismLists.LoadClean(list, t.Path);
        Assert.Equal(98, split.ClassCount);
        Assert.Equal(ds.Train.Samples.Select(s => ((FileImageSource)s.Source).Path), split.Samples.Select(s => ((FileImageSource)s.Source).Path));
    }

    [Fact]
    public void Prism_path_missing_from_clean_list_is_named()
    {
        using var t = new TempDir();
        var (root, dir) = PrismCub(t);
        var noisy = Path.Combine(dir, "CUB_0.2noised_train.csv");
        File.AppendAllLines(noisy, ["/data/CUB_200_2011/images/nowhere/x.jpg,3"]);
        var e = Assert.Throws<InvalidDataException>(() => PrismLists.LoadNoisy(noisy, Path.Combine(dir, "CUB_train.csv"), root));
        Assert.Contains("nowhere/x.jpg", e.Message);
    }

    // PRISM-style small-cluster list over the CUB fixture (3 images per class): classes 4, 8, …, 100 are dissolved
    // (75 intact classes, re-indexed 0..74 in id order, 0-based as PRISM writes them); each dissolved image takes the
    // cluster label of some intact class. Rows are shuffled (join on path). Also writes the cleaned list.
    private static (string Root, string Noisy, string Clean, string Cleaned, Dictionary<string, int> Truth) PrismSmallCluster(TempDir t)
    {
        var (root, dir) = PrismCub(t);
        var clean = Path.Combine(dir, "CUB_train.csv");
        var rows = File.ReadAllLines(clean).Select(l => (Path: l.Split(',')[0], Label: int.Parse(l.Split(',')[1]))).ToList();
        var intact = Enumerable.Range(1, 100).Where(c => c % 4 != 0).ToList();
        var cluster = intact.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var noisy = rows.Select((r, j) => (r.Path, Label: cluster.TryGetValue(r.Label, out var l) ? l : (j * 7) % 75)).ToList();
        var noisyFile = Path.Combine(dir, "CUB_0.25smallclusternoised_train.csv");
        var rng = new Random(11);
        File.WriteAllLines(noisyFile, noisy.OrderBy(_ => rng.Next()).Select(r => $"{r.Path},{r.Label}"));
        var cleanedFile = Path.Combine(dir, "CUB_0.25smallclusternoised_cleaned_train.csv");
        File.WriteAllLines(cleanedFile, rows.Where(r => cluster.ContainsKey(r.Label)).Select(r => $"{r.Path},{cluster[r.Label]}"));
        var truth = rows.ToDictionary(r => Path.GetFullPath(Path.Combine(root, r.Path["/data/".Length..])), r => r.Label);
        return (root, noisyFile, clean, cleanedFile, truth);
    }

    private static void AssertSmallCluster(NoisyLabelResult r, Dictionary<string, int> truth)
    {
        Assert.Equal(300, r.Split.Count);
        Assert.Equal(75, r.Split.ClassCount);
        Assert.Equal(Enumerable.Range(1, 100).Where(c => c % 4 != 0), r.Split.ClassIds);    // cluster labels mapped back to clean ids
        Assert.Equal(0, r.ForeignLabelSamples);
        Assert.Equal(75 / 300.0, r.RealisedNoiseRate, 12);                                   // the 25 dissolved classes' images
        Assert.All(r.Split.Samples, s => Assert.Equal(truth[((FileImageSource)s.Source).Path], s.CleanOriginalLabel));
        Assert.All(r.Split.Samples, s => Assert.Equal(s.CleanOriginalLabel % 4 == 0, s.IsNoisy));
        Assert.All(r.Split.Samples, s => Assert.Equal(s.IsNoisy, s.OriginalLabel != s.CleanOriginalLabel));
    }

    [Fact]
    public void Prism_small_cluster_list_with_0_based_labels_maps_clusters_back_to_clean_classes()
    {
        using var t = new TempDir();
        var (root, noisy, clean, cleaned, truth) = PrismSmallCluster(t);
        AssertSmallCluster(PrismLists.LoadSmallCluster(noisy, clean, root, cleaned), truth);
        AssertSmallCluster(PrismLists.LoadSmallCluster(noisy, clean, root), truth);      // majority vote without the cleaned list
    }

    [Fact]
    public void Prism_load_noisy_recognises_a_small_cluster_list_and_drops_nothing()
    {
        using var t = new TempDir();
        var (root, noisy, clean, cleaned, truth) = PrismSmallCluster(t);
        AssertSmallCluster(PrismLists.LoadNoisy(noisy, clean, root, cleaned, ForeignLabelPolicy.Drop), truth);
        AssertSmallCluster(PrismLists.LoadNoisy(noisy, clean, root), truth);
    }

    [Fact]
    public void Prism_small_cluster_cleaned_list_mixing_classes_under_one_label_is_named()
    {
        using var t = new TempDir();
        var (root, noisy, clean, cleaned, _) = PrismSmallCluster(t);
        var lines = File.ReadAllLines(cleaned);
        lines[^1] = lines[^1].Split(',')[0] + ",0";      // an image of the last intact class under cluster 0 (class 1)
        File.WriteAllLines(cleaned, lines);
        var e = Assert.Throws<InvalidDataException>(() => PrismLists.LoadSmallCluster(noisy, clean, root, cleaned));
        Assert.Contains("smallclusternoised_cleaned_train.csv", e.Message);
        Assert.Contains("cluster label 0", e.Message);
    }

    private static DataSplit Clean(int classes, int perClass) =>
        DataSplit.FromOriginalLabels("clean", Enumerable.Range(0, classes * perClass)
            .Select(i => ((ImageSource)new FileImageSource($"/img/{i}.jpg"), 1 + i / perClass)));

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Symmetric_noise_realises_its_rate_and_never_flips_to_itself(double rate)
    {
        var clean = Clean(100, 60);
        var r = LabelNoise.Symmetric(clean, rate, seed: 7);
        // 6,000 Bernoulli draws: 4 standard deviations of the binomial.
        double tol = 4 * Math.Sqrt(rate * (1 - rate) / clean.Count);
        Assert.InRange(r.RealisedNoiseRate, rate - tol, rate + tol);
        Assert.All(r.Split.Samples, s => Assert.Equal(s.IsNoisy, s.OriginalLabel != s.CleanOriginalLabel));
        Assert.Equal(100, r.Split.ClassCount);
        // Flips spread over the other classes: no target class takes more than a few times its share.
        var targets = r.Split.Samples.Where(s => s.IsNoisy).GroupBy(s => s.OriginalLabel).Select(g => g.Count()).ToList();
        Assert.True(targets.Count > 90);
        Assert.Equal(r.RealisedNoiseRate, LabelNoise.Symmetric(clean, rate, seed: 7).RealisedNoiseRate);
        Assert.NotEqual(r.Split.Samples.Select(s => s.Label), LabelNoise.Symmetric(clean, rate, seed: 8).Split.Samples.Select(s => s.Label));
    }

    [Fact]
    public void Symmetric_noise_rejects_a_bad_rate()
    {
        var e = Assert.Throws<ArgumentException>(() => LabelNoise.Symmetric(Clean(3, 2), 1.5, 0));
        Assert.Equal("rate", e.ParamName);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public void Small_cluster_noise_dissolves_classes_into_small_groups(double rate)
    {
        var clean = Clean(100, 30);
        var r = LabelNoise.SmallCluster(clean, rate, seed: 3);
        int dissolved = (int)Math.Round(rate * 100);
        Assert.Equal(100 - dissolved, r.Split.ClassCount);               // re-indexed 0..C'-1
        Assert.Equal(Enumerable.Range(0, 100 - dissolved), r.Split.Samples.Select(s => s.Label).Distinct().Order());
        Assert.Equal(dissolved * 30 / 3000.0, r.RealisedNoiseRate, 12);  // every image of a dissolved class is mislabelled
        // Each dissolved class is scattered over many targets in small groups.
        foreach (var g in r.Split.Samples.Where(s => s.IsNoisy).GroupBy(s => s.CleanOriginalLabel))
        {
            var groupSizes = g.GroupBy(s => s.OriginalLabel).Select(x => x.Count()).ToList();
            Assert.True(groupSizes.Count >= 8, $"class {g.Key} went to only {groupSizes.Count} targets");
            Assert.True(groupSizes.Average() < 4);
        }
        // Intact classes keep all their images.
        Assert.All(r.Split.Samples.Where(s => !s.IsNoisy), s => Assert.Equal(s.CleanOriginalLabel, s.OriginalLabel));
    }

    [Fact]
    public void Small_cluster_noise_with_features_groups_neighbours()
    {
        // Two classes to dissolve are each made of tight pairs in feature space; groups of 2 must be those pairs.
        var clean = Clean(4, 8);
        var f = zeros(32, 8);
        for (int i = 0; i < 32; i++) f[i, (i / 2) % 8] = 1;     // samples 2k and 2k+1 share a direction
        var r = LabelNoise.SmallCluster(clean, 0.5, seed: 1, features: f, growProbability: 0.999, maxGroupSize: 2);
        foreach (var g in r.Split.Samples.Select((s, i) => (s, i)).Where(p => p.s.IsNoisy).GroupBy(p => p.i / 2))
            Assert.Single(g.Select(p => p.s.OriginalLabel).Distinct());
    }
}
