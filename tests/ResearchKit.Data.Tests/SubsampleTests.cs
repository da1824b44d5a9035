namespace ResearchKit.Data.Tests;

public class SubsampleTests
{
    // SOP-like: many classes of 2-8 images (ids 1..classes), samples listed class by class.
    private static DataSplit ManySmallClasses(int classes)
    {
        var rows = new List<(ImageSource, int)>();
        for (int c = 1; c <= classes; c++)
            for (int k = 0; k < 2 + c % 7; k++) rows.Add((new FileImageSource($"/sop/{c}_{k}.JPG"), c));
        return DataSplit.FromOriginalLabels("sop-like", rows);
    }

    [Fact]
    public void Many_small_classes_are_sampled_whole()
    {
        var split = ManySmallClasses(3000);
        var sub = SplitSubsample.Of(split, maxImages: 1000);
        Assert.Equal(SubsampleMode.WholeClasses, sub.Mode);
        Assert.True(sub.IsSubsample);
        Assert.InRange(sub.Images, 1, 1000);
        Assert.True(sub.Classes >= SplitSubsample.DefaultMinClasses, $"{sub.Classes} classes");
        var full = split.Samples.GroupBy(s => s.OriginalLabel).ToDictionary(g => g.Key, g => g.Select(s => s.Source).ToList());
        foreach (var g in sub.Split.Samples.GroupBy(s => s.OriginalLabel))
            Assert.Equal(full[g.Key], g.Select(s => s.Source).ToList());     // every chosen class complete, in order
        // Spread over the id range (SOP's ids are grouped by super-class), not a prefix of it.
        Assert.Equal(1, sub.Split.ClassIds[0]);
        Assert.True(sub.Split.ClassIds[^1] > 3000 - sub.Step, $"last kept id {sub.Split.ClassIds[^1]}");
        Assert.Equal((split.Count, 3000), (sub.OriginalImages, sub.OriginalClasses));
        Assert.Contains("whole", sub.ToString());
    }

    [Fact]
    public void Few_large_classes_are_thinned_within_each_class()
    {
        var rows = Enumerable.Range(0, 5 * 7000).Select(i => ((ImageSource)new FileImageSource($"/fm/{i}.png"), 5 + i % 5));
        var split = DataSplit.FromOriginalLabels("fm-like", rows);
        var sub = SplitSubsample.Of(split, maxImages: 10_000);
        Assert.Equal(SubsampleMode.WithinClasses, sub.Mode);
        Assert.Equal(5, sub.Classes);
        Assert.All(sub.Split.ClassCounts, c => Assert.Equal(1750, c));
    }

    [Fact]
    public void Thinning_within_classes_keeps_two_images_of_every_class()
    {
        var split = ManySmallClasses(10);
        var sub = SplitSubsample.WithinClasses(split, step: 50);
        Assert.Equal(10, sub.Classes);
        Assert.All(sub.Split.ClassCounts, c => Assert.Equal(2, c));
    }

    [Fact]
    public void Split_within_budget_is_kept_as_is()
    {
        var split = ManySmallClasses(20);
        var sub = SplitSubsample.Of(split, maxImages: split.Count);
        Assert.Equal(SubsampleMode.None, sub.Mode);
        Assert.Same(split, sub.Split);
    }

    [Fact]
    public void Data_set_baseline_on_many_small_classes_reports_the_subsample_and_has_no_lone_queries()
    {
        // 300 classes × 3 in-memory 4×4 images; a budget of 300 images. Thinning every 3rd image would leave
        // every query alone in its class (nothing to retrieve); whole classes keep every query scoreable.
        const int classes = 300, per = 3;
        var pixels = new byte[classes * per * 16];
        new Random(5).NextBytes(pixels);
        var buffer = new PixelBuffer("fixture", pixels, classes * per, 4, 4, 1);
        var test = DataSplit.FromOriginalLabels("fixture/test",
            Enumerable.Range(0, classes * per).Select(i => ((ImageSource)new PixelImageSource(buffer, i), 1000 + i / per)));
        var ds = new ZeroShotDataset("fixture", test, test);
        var r = RawPixelBaseline.Evaluate(ds, new DatasetInfo("fixture", "test fixture", 4, true, true), maxImages: 300);
        Assert.True(r.Evaluated.IsSubsample);
        Assert.Equal(SubsampleMode.WholeClasses, r.Evaluated.Mode);
        Assert.Equal(r.Evaluated.Images, r.Retrieval.QueryCount);
        Assert.Equal(0, r.Retrieval.LoneQueryCount);
        Assert.All(r.Evaluated.Split.ClassCounts, c => Assert.Equal(per, c));
        Assert.Contains($"of {classes * per} images", r.ToString());
    }

    [Fact]
    public void Bad_budget_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SplitSubsample.Of(ManySmallClasses(3), maxImages: 1));
        Assert.Equal("maxImages", e.ParamName);
    }
}
