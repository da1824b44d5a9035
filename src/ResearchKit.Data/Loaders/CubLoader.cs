namespace ResearchKit.Data;

/// <summary>
/// CUB-200-2011 in its release layout (<c>CUB_200_2011/{images.txt, image_class_labels.txt, images/…}</c>),
/// zero-shot split: classes 1–100 train (5,864 images), 101–200 test (5,924).
/// </summary>
public static class CubLoader
{
    /// <summary>Folder name of the release under the data root.</summary>
    public const string FolderName = "CUB_200_2011";

    /// <summary>Loads the split from <paramref name="root"/> (the data root, or the CUB_200_2011 folder itself).</summary>
    /// <param name="root">Data root containing <c>CUB_200_2011/</c>, or that folder.</param>
    /// <param name="checkFiles">Check that every image file exists (clear error instead of a failure mid-epoch).</param>
    public static ZeroShotDataset Load(string root, bool checkFiles = true)
    {
        var dir = Directory.Exists(Path.Combine(root, FolderName)) ? Path.Combine(root, FolderName) : root;
        var imagesTxt = Path.Combine(dir, "images.txt");
        var labelsTxt = Path.Combine(dir, "image_class_labels.txt");
        var paths = new Dictionary<int, string>();
        var resourceForks = new HashSet<int>();
        foreach (var (line, f) in ListFile.Rows(imagesTxt, ListFile.Whitespace))
        {
            int id = ListFile.Int(f[0], imagesTxt, line);
            if (paths.ContainsKey(id) || resourceForks.Contains(id))
                throw new InvalidDataException($"{imagesTxt}:{line}: image id {id} is listed twice.");
            // macOS resource forks ("._x.jpg") ship in some copies of the archive.
            if (Path.GetFileName(f[1]).StartsWith("._", StringComparison.Ordinal)) { resourceForks.Add(id); continue; }
            paths[id] = DataRoot.Resolve(Path.Combine(dir, "images"), f[1], imagesTxt);
        }
        var rows = new List<(ImageSource, int)>();
        var labelled = new HashSet<int>();
        foreach (var (line, f) in ListFile.Rows(labelsTxt, ListFile.Whitespace))
        {
            int id = ListFile.Int(f[0], labelsTxt, line), cls = ListFile.Int(f[1], labelsTxt, line);
            if (cls is < 1 or > 200) throw new InvalidDataException($"{labelsTxt}:{line}: class must be in 1..200, got {cls}.");
            if (!labelled.Add(id)) throw new InvalidDataException($"{labelsTxt}:{line}: image id {id} is labelled twice.");
            if (resourceForks.Contains(id)) continue;
            if (!paths.TryGetValue(id, out var p))
                throw new InvalidDataException($"{labelsTxt}:{line}: image id {id} is not in '{imagesTxt}'.");
            rows.Add((new FileImageSource(p), cls));
        }
        foreach (var id in paths.Keys.Order())
            if (!labelled.Contains(id)) throw new InvalidDataException($"{imagesTxt}: image id {id} ('{paths[id]}') has no class in '{labelsTxt}'.");
        if (checkFiles) DataRoot.RequireFiles(rows.Select(r => ((FileImageSource)r.Item1).Path), imagesTxt);
        return new ZeroShotDataset("cub",
            DataSplit.FromExpectedClasses("cub/train", rows.Where(r => r.Item2 <= 100), Enumerable.Range(1, 100), labelsTxt),
            DataSplit.FromExpectedClasses("cub/test", rows.Where(r => r.Item2 > 100), Enumerable.Range(101, 100), labelsTxt));
    }
}
