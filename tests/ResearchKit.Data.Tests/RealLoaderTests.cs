namespace ResearchKit.Data.Tests;

public class RealLoaderTests
{
    [Fact]
    public void Cub_splits_classes_1_to_100_and_101_to_200_with_contiguous_labels()
    {
        using var t = new TempDir();
        Fixtures.Cub(t.Path, perClass: 2);
        var ds = CubLoader.Load(t.Path);
        Assert.Equal(100, ds.Train.ClassCount);
        Assert.Equal(100, ds.Test.ClassCount);
        Assert.Equal(200, ds.Train.Count);   // the ._ resource fork is skipped
        Assert.Equal(Enumerable.Range(1, 100), ds.Train.ClassIds);
        Assert.Equal(Enumerable.Range(101, 100), ds.Test.ClassIds);
        Assert.All(ds.Test.Samples, s => Assert.Equal(s.OriginalLabel - 101, s.Label));
        Assert.All(ds.Train.Samples, s => Assert.False(s.IsNoisy));
        var st = ds.Statistics();
        Assert.Equal((200, 100, 2, 2.0, 2), (st.Train.Images, st.Train.Classes, st.Train.MinPerClass, st.Train.MedianPerClass, st.Train.MaxPerClass));
    }

    [Fact]
    public void Cub_missing_image_is_named()
    {
        using var t = new TempDir();
        var dir = Fixtures.Cub(t.Path, perClass: 1);
        var victim = Path.Combine(dir, "images", "150.Bird_150", "Bird_150_0.jpg");
        File.Delete(victim);
        var e = Assert.Throws<FileNotFoundException>(() => CubLoader.Load(t.Path));
        Assert.Contains(victim, e.Message);
    }

    [Fact]
    public void Cub_list_pointing_outside_the_root_is_refused()
    {
        using var t = new TempDir();
        var dir = Fixtures.Cub(t.Path, perClass: 1, writeImages: false);
        File.AppendAllLines(Path.Combine(dir, "images.txt"), ["999 ../../../etc/passwd"]);
        var e = Assert.Throws<ArgumentException>(() => CubLoader.Load(t.Path, checkFiles: false));
        Assert.Contains("outside the data root", e.Message);
        Assert.Contains("images.txt", e.Message);
    }

    [Fact]
    public void Cars_car_ims_layout_splits_98_98()
    {
        using var t = new TempDir();
        Fixtures.CarsCarIms(t.Path);
        var ds = CarsLoader.Load(t.Path);
        Assert.Equal(98, ds.Train.ClassCount);
        Assert.Equal(98, ds.Test.ClassCount);
        Assert.Equal(99, ds.Test.ClassIds[0]);
        Assert.EndsWith("000099.jpg", ((FileImageSource)ds.Test.Samples[0].Source).Path);
    }

    [Fact]
    public void Cars_class_folder_layout_uses_names_csv_including_the_C_V_rename()
    {
        using var t = new TempDir();
        Fixtures.CarsClassFolders(t.Path, perClass: 2);
        var ds = CarsLoader.Load(t.Path);
        Assert.Equal(98, ds.Train.ClassCount);
        Assert.Equal(98, ds.Test.ClassCount);
        Assert.Equal(196, ds.Train.Count);
        var cv = ds.Train.Samples.Where(s => s.OriginalLabel == 3).ToList();
        Assert.Equal(2, cv.Count);
        Assert.Contains("Ram C-V Cargo Van", ((FileImageSource)cv[0].Source).Path);
    }

    [Fact]
    public void Cars_without_any_known_layout_says_what_it_expects()
    {
        using var t = new TempDir();
        var e = Assert.Throws<DirectoryNotFoundException>(() => CarsLoader.Load(t.Path));
        Assert.Contains("cars_annos.csv", e.Message);
    }

    [Fact]
    public void Cars_empty_class_folder_is_named()
    {
        using var t = new TempDir();
        var dir = Fixtures.CarsClassFolders(t.Path);
        var folder = Directory.GetDirectories(Path.Combine(dir, "images")).Order().First();
        foreach (var f in Directory.GetFiles(folder)) File.Delete(f);
        var e = Assert.Throws<InvalidDataException>(() => CarsLoader.Load(t.Path));
        Assert.Contains(folder, e.Message);
    }

    [Fact]
    public void Sop_reads_both_lists_and_remaps_per_split()
    {
        using var t = new TempDir();
        Fixtures.Sop(t.Path, trainClasses: 5, testClasses: 4, perClass: 3);
        var ds = SopLoader.Load(t.Path);
        Assert.Equal(5, ds.Train.ClassCount);
        Assert.Equal(4, ds.Test.ClassCount);
        Assert.Equal([6, 7, 8, 9], ds.Test.ClassIds);
        Assert.Equal(Enumerable.Range(0, 4), ds.Test.Samples.Select(s => s.Label).Distinct().Order());
        Assert.Equal(12, ds.Test.Count);
    }

    [Fact]
    public void Sop_malformed_line_is_named_with_its_line_number()
    {
        using var t = new TempDir();
        var dir = Fixtures.Sop(t.Path);
        File.AppendAllLines(Path.Combine(dir, "Ebay_test.txt"), ["42 notanumber 1 bicycle_final/x.JPG"]);
        var e = Assert.Throws<InvalidDataException>(() => SopLoader.Load(t.Path));
        Assert.Contains("Ebay_test.txt:10", e.Message);
    }

    [Fact]
    public void Empty_class_in_a_split_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataSplit("x", [new Sample(new FileImageSource("/a.jpg"), 1, 7, false, 7)], [5, 7]));
        Assert.Contains("class 0", e.Message);
    }
}
