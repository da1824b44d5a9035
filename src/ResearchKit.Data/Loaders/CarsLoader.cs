namespace ResearchKit.Data;

/// <summary>
/// Cars-196, zero-shot split: classes 1–98 train (8,054 images), 99–196 test (8,131). Two layouts are read:
/// <list type="bullet">
/// <item><b>car_ims</b>: <c>car_ims/NNNNNN.jpg</c> plus <c>cars_annos.csv</c> (<c>relative_im_path,class</c>, with a header;
/// <c>data-scripts/get-cars.sh</c> writes it from the official <c>cars_annos.mat</c>).</item>
/// <item><b>class folders</b>: <c>images/&lt;Class Name&gt;/*.jpg</c> (the PRISM lists' layout, train and test merged) or
/// Kaggle's <c>car_data/car_data/{train,test}/&lt;Class Name&gt;/*.jpg</c>, with <c>names.csv</c> (one class name per
/// line, in class-id order) giving the 1-based ids.</item>
/// </list>
/// </summary>
public static class CarsLoader
{
    /// <summary>Folder name under the data root (the PRISM lists use it too).</summary>
    public const string FolderName = "cars196";

    /// <summary>Loads the split from the data root (or the cars196 folder itself), detecting the layout.</summary>
    /// <param name="root">Data root containing <c>cars196/</c>, or that folder.</param>
    /// <param name="checkFiles">Check that every image file exists.</param>
    public static ZeroShotDataset Load(string root, bool checkFiles = true)
    {
        var dir = Directory.Exists(Path.Combine(root, FolderName)) ? Path.Combine(root, FolderName) : root;
        var rows = File.Exists(Path.Combine(dir, "cars_annos.csv")) ? CarIms(dir, checkFiles) : ClassFolders(dir);
        return new ZeroShotDataset("cars",
            DataSplit.FromOriginalLabels("cars/train", rows.Where(r => r.Class <= 98).Select(r => ((ImageSource)new FileImageSource(r.Path), r.Class))),
            DataSplit.FromOriginalLabels("cars/test", rows.Where(r => r.Class > 98).Select(r => ((ImageSource)new FileImageSource(r.Path), r.Class))));
    }

    private static List<(string Path, int Class)> CarIms(string dir, bool checkFiles)
    {
        var list = Path.Combine(dir, "cars_annos.csv");
        var rows = ListFile.Rows(list, ListFile.Comma, skipHeader: true)
            .Select(r => (Path: DataRoot.Resolve(dir, r.Fields[0], list), Class: CheckClass(ListFile.Int(r.Fields[1], list, r.Line), list, r.Line)))
            .ToList();
        if (checkFiles) DataRoot.RequireFiles(rows.Select(r => r.Path), list);
        return rows;
    }

    private static List<(string Path, int Class)> ClassFolders(string dir)
    {
        var imageRoots = new[] { Path.Combine(dir, "images"), Path.Combine(dir, "car_data", "car_data", "train"), Path.Combine(dir, "car_data", "car_data", "test") }
            .Where(Directory.Exists).ToList();
        if (imageRoots.Count == 0)
            throw new DirectoryNotFoundException($"Cars-196 not found in '{dir}': expected cars_annos.csv + car_ims/, images/<Class Name>/, or car_data/car_data/{{train,test}}/<Class Name>/.");
        var namesFile = new[] { Path.Combine(dir, "names.csv"), Path.Combine(dir, "car_data", "names.csv") }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"Cars-196 class-folder layout in '{dir}' needs names.csv (one class name per line, in class-id order).", Path.Combine(dir, "names.csv"));
        // Kaggle renamed "Ram C/V Cargo Van Minivan 2012" to "C-V" on disk; match folder names that way.
        var ids = File.ReadLines(namesFile).Select(l => l.Trim()).Where(l => l.Length > 0)
            .Select((name, i) => (Key: name.Replace('/', '-'), Id: i + 1))
            .ToDictionary(p => p.Key, p => p.Id, StringComparer.Ordinal);
        var rows = new List<(string, int)>();
        foreach (var imageRoot in imageRoots)
            foreach (var classDir in Directory.GetDirectories(imageRoot).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(classDir);
                if (!ids.TryGetValue(name, out var id))
                    throw new InvalidDataException($"class folder '{classDir}' is not listed in '{namesFile}'.");
                var files = Directory.GetFiles(classDir).Where(IsImage).Order(StringComparer.Ordinal).ToList();
                if (files.Count == 0) throw new InvalidDataException($"class folder '{classDir}' holds no images.");
                rows.AddRange(files.Select(f => (f, id)));
            }
        return rows;
    }

    private static bool IsImage(string path)
    {
        var ext = Path.GetExtension(path);
        return !Path.GetFileName(path).StartsWith("._", StringComparison.Ordinal)
            && (ext.Equals(".jpg", StringComparison.OrdinalIgnoreCase) || ext.Equals(".jpeg", StringComparison.OrdinalIgnoreCase) || ext.Equals(".png", StringComparison.OrdinalIgnoreCase));
    }

    private static int CheckClass(int cls, string list, int line) =>
        cls is >= 1 and <= 196 ? cls : throw new InvalidDataException($"{list}:{line}: class must be in 1..196, got {cls}.");
}
