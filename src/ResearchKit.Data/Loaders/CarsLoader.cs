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
        var annos = Path.Combine(dir, "cars_annos.csv");
        var (rows, list) = File.Exists(annos) ? (CarIms(dir, checkFiles), annos) : ClassFolders(dir);
        return new ZeroShotDataset("cars",
            DataSplit.FromExpectedClasses("cars/train", rows.Where(r => r.Class <= 98).Select(r => ((ImageSource)new FileImageSource(r.Path), r.Class)), Enumerable.Range(1, 98), list),
            DataSplit.FromExpectedClasses("cars/test", rows.Where(r => r.Class > 98).Select(r => ((ImageSource)new FileImageSource(r.Path), r.Class)), Enumerable.Range(99, 98), list));
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

    private static (List<(string Path, int Class)> Rows, string NamesFile) ClassFolders(string dir)
    {
        var imageRoots = new[] { Path.Combine(dir, "images"), Path.Combine(dir, "car_data", "car_data", "train"), Path.Combine(dir, "car_data", "car_data", "test") }
            .Where(Directory.Exists).ToList();
        if (imageRoots.Count == 0)
            throw new DirectoryNotFoundException($"Cars-196 not found in '{dir}': expected cars_annos.csv + car_ims/, images/<Class Name>/, or car_data/car_data/{{train,test}}/<Class Name>/.");
        var namesFile = new[] { Path.Combine(dir, "names.csv"), Path.Combine(dir, "car_data", "names.csv") }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"Cars-196 class-folder layout in '{dir}' needs names.csv (one class name per line, in class-id order).", Path.Combine(dir, "names.csv"));
        // Kaggle renamed "Ram C/V Cargo Van Minivan 2012" to "C-V" on disk; match folder names that way.
        var names = File.ReadLines(namesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (names.Count != 196) throw new InvalidDataException($"'{namesFile}' must list the 196 Cars class names, one per line in class-id order; it lists {names.Count}.");
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
            if (!ids.TryAdd(names[i].Replace('/', '-'), i + 1)) throw new InvalidDataException($"'{namesFile}': class name '{names[i]}' (entry {i + 1}) is listed twice.");
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
        // A class folder missing from every image root would otherwise just vanish from the split.
        var present = rows.Select(r => r.Item2).ToHashSet();
        for (int id = 1; id <= 196; id++)
            if (!present.Contains(id))
                throw new InvalidDataException($"{namesFile}: class id {id} ('{names[id - 1]}') has no images: no folder '{names[id - 1].Replace('/', '-')}' under {string.Join(" or ", imageRoots)}.");
        return (rows, namesFile);
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
