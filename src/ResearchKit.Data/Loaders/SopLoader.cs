namespace ResearchKit.Data;

/// <summary>
/// Stanford Online Products (<c>Stanford_Online_Products/Ebay_{train,test}.txt</c>, header
/// <c>image_id class_id super_class_id path</c>): 11,318 training classes, 11,316 test classes.
/// </summary>
public static class SopLoader
{
    /// <summary>Folder name of the release under the data root.</summary>
    public const string FolderName = "Stanford_Online_Products";

    /// <summary>Loads both splits from the data root (or the SOP folder itself).</summary>
    /// <param name="root">Data root containing <c>Stanford_Online_Products/</c>, or that folder.</param>
    /// <param name="checkFiles">Check that every image file exists.</param>
    public static ZeroShotDataset Load(string root, bool checkFiles = true)
    {
        var dir = Directory.Exists(Path.Combine(root, FolderName)) ? Path.Combine(root, FolderName) : root;
        var train = Split(dir, "Ebay_train.txt", "sop/train", checkFiles);
        var test = Split(dir, "Ebay_test.txt", "sop/test", checkFiles);
        // SOP's classes are whatever the rows name, so no class can be empty; but the splits must not share one.
        var shared = train.ClassIds.Intersect(test.ClassIds).Order().ToList();
        if (shared.Count > 0)
            throw new InvalidDataException($"{Path.Combine(dir, "Ebay_test.txt")}: class id {shared[0]} is also a class of '{Path.Combine(dir, "Ebay_train.txt")}' ({shared.Count} shared); the zero-shot splits must not share classes.");
        return new ZeroShotDataset("sop", train, test);
    }

    private static DataSplit Split(string dir, string file, string name, bool checkFiles)
    {
        var list = Path.Combine(dir, file);
        var rows = ListFile.Rows(list, ListFile.Whitespace, skipHeader: true, minFields: 4)
            .Select(r => (Path: DataRoot.Resolve(dir, r.Fields[3], list), Class: ListFile.Int(r.Fields[1], list, r.Line)))
            .ToList();
        if (checkFiles) DataRoot.RequireFiles(rows.Select(r => r.Path), list);
        return DataSplit.FromOriginalLabels(name, rows.Select(r => ((ImageSource)new FileImageSource(r.Path), r.Class)));
    }
}
