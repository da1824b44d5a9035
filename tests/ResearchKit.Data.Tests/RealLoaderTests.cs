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

    // Removes every row of a list whose class field (0-based column, split on sep) is the given id.
    private static void DropClassRows(string list, int column, string id, char sep)
    {
        var lines = File.ReadAllLines(list);
        File.WriteAllLines(list, lines.Where(l => l.Split(sep).ElementAtOrDefault(column) != id));
        Assert.True(File.ReadAllLines(list).Length < lines.Length, "the fixture had no rows of that class");
    }

    [Fact]
    public void Cub_class_without_images_is_named_with_its_list()
    {
        using var t = new TempDir();
        var dir = Fixtures.Cub(t.Path, perClass: 2, writeImages: false);
        var labels = Path.Combine(dir, "image_class_labels.txt");
        var ids = File.ReadAllLines(labels).Where(l => l.Split(' ')[1] == "150").Select(l => l.Split(' ')[0]).ToHashSet();
        DropClassRows(labels, 1, "150", ' ');
        var images = Path.Combine(dir, "images.txt");
        File.WriteAllLines(images, File.ReadAllLines(images).Where(l => !ids.Contains(l.Split(' ')[0])));
        var e = Assert.Throws<InvalidDataException>(() => CubLoader.Load(t.Path, checkFiles: false));
        Assert.Contains("image_class_labels.txt", e.Message);
        Assert.Contains("class id 150", e.Message);
    }

    [Fact]
    public void Cub_label_row_for_an_image_id_missing_from_images_txt_is_named()
    {
        using var t = new TempDir();
        var dir = Fixtures.Cub(t.Path, perClass: 2, writeImages: false);
        var images = Path.Combine(dir, "images.txt");
        File.WriteAllLines(images, File.ReadAllLines(images).Where(l => l.Split(' ')[0] != "7"));
        var e = Assert.Throws<InvalidDataException>(() => CubLoader.Load(t.Path, checkFiles: false));
        Assert.Contains("image_class_labels.txt", e.Message);
        Assert.Contains("image id 7 ", e.Message);
        Assert.Contains("images.txt", e.Message);
    }

    [Fact]
    public void Cub_image_without_a_label_row_is_named()
    {
        using var t = new TempDir();
        var dir = Fixtures.Cub(t.Path, perClass: 2, writeImages: false);
        var labels = Path.Combine(dir, "image_class_labels.txt");
        File.WriteAllLines(labels, File.ReadAllLines(labels).Where(l => l.Split(' ')[0] != "9"));
        var e = Assert.Throws<InvalidDataException>(() => CubLoader.Load(t.Path, checkFiles: false));
        Assert.Contains("image id 9 ", e.Message);
        Assert.Contains("has no class", e.Message);
    }

    [Fact]
    public void Cars_car_ims_class_without_images_is_named_with_its_list()
    {
        using var t = new TempDir();
        var dir = Fixtures.CarsCarIms(t.Path);
        DropClassRows(Path.Combine(dir, "cars_annos.csv"), 1, "42", ',');
        var e = Assert.Throws<InvalidDataException>(() => CarsLoader.Load(t.Path));
        Assert.Contains("cars_annos.csv", e.Message);
        Assert.Contains("class id 42 ", e.Message);
    }

    [Fact]
    public void Cars_class_folder_missing_entirely_is_named()
    {
        using var t = new TempDir();
        var dir = Fixtures.CarsClassFolders(t.Path);
        var names = File.ReadAllLines(Path.Combine(dir, "names.csv"));
        Directory.Delete(Path.Combine(dir, "images", names[120]), recursive: true);
        var e = Assert.Throws<InvalidDataException>(() => CarsLoader.Load(t.Path));
        Assert.Contains("names.csv", e.Message);
        Assert.Contains("class id 121 ", e.Message);
        Assert.Contains(names[120], e.Message);
    }

    [Fact]
    public void Cars_kaggle_train_test_folders_load_without_merging()
    {
        using var t = new TempDir();
        Fixtures.CarsKaggle(Path.Combine(t.Path, "cars196"), perClass: 2);
        var ds = CarsLoader.Load(t.Path);
        Assert.Equal((98, 98), (ds.Train.ClassCount, ds.Test.ClassCount));
        Assert.Equal(98 * 4, ds.Train.Count);     // 2 from car_data/train + 2 from car_data/test per class
        Assert.Contains(ds.Test.Samples, s => ((FileImageSource)s.Source).Path.Contains("/car_data/car_data/train/"));
        Assert.Contains(ds.Test.Samples, s => ((FileImageSource)s.Source).Path.Contains("/car_data/car_data/test/"));
        Assert.Equal(4, ds.Train.Samples.Count(s => s.OriginalLabel == 3 && ((FileImageSource)s.Source).Path.Contains("Ram C-V Cargo Van")));
    }

    [Fact]
    public void Cars_names_csv_with_the_wrong_count_is_named()
    {
        using var t = new TempDir();
        var dir = Fixtures.CarsClassFolders(t.Path);
        var names = Path.Combine(dir, "names.csv");
        File.WriteAllLines(names, File.ReadAllLines(names).Take(195));
        var e = Assert.Throws<InvalidDataException>(() => CarsLoader.Load(t.Path));
        Assert.Contains("names.csv", e.Message);
        Assert.Contains("195", e.Message);
    }

    [Fact]
    public void Sop_keeps_every_row_and_refuses_a_class_shared_by_both_splits()
    {
        using var t = new TempDir();
        var dir = Fixtures.Sop(t.Path, trainClasses: 3, testClasses: 2, perClass: 2);
        var ds = SopLoader.Load(t.Path);
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, "Ebay_train.txt")).Length - 1, ds.Train.Count);
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, "Ebay_test.txt")).Length - 1, ds.Test.Count);
        File.AppendAllLines(Path.Combine(dir, "Ebay_test.txt"), ["99 2 1 bicycle_final/2_0.JPG"]);
        var e = Assert.Throws<InvalidDataException>(() => SopLoader.Load(t.Path));
        Assert.Contains("class id 2 ", e.Message);
        Assert.Contains("Ebay_train.txt", e.Message);
    }

    [Fact]
    public void Empty_class_in_a_split_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataSplit("x", [new Sample(new FileImageSource("/a.jpg"), 1, 7, false, 7)], [5, 7]));
        Assert.Contains("class 0", e.Message);
    }
}
