namespace ResearchKit.Data;

/// <summary>How to treat noisy labels that are not classes of the clean training list (CUB 0.2/0.5: label 101).</summary>
public enum ForeignLabelPolicy
{
    /// <summary>
    /// Keep them as extra classes (CUB 0.2/0.5-noised → 101 classes), as PRISM's own training did and as
    /// spec/losses.md §8-§9 prescribe: proxies are sized to the distinct labels. The samples are flagged noisy.
    /// </summary>
    KeepAsExtraClass,
    /// <summary>Drop those lines (CUB 0.2: 6 images, 0.5: 28), keeping exactly the clean class set.</summary>
    Drop,
}

/// <summary>
/// The PRISM label lists (alibaba-edu/Ranking-based-Instance-Selection <c>datalist/*.csv</c>): one
/// <c>/data/&lt;path&gt;,&lt;label&gt;</c> line per image, no header. Paths are rooted at <c>/data/</c>, which is replaced
/// by the local data root; noisy lists are joined to the clean list on the path.
/// </summary>
public static class PrismLists
{
    /// <summary>The prefix of every path in the published lists.</summary>
    public const string PublishedPrefix = "/data/";

    /// <summary>Reads a list as (absolute local path, label) rows, resolving each path inside <paramref name="dataRoot"/>.</summary>
    /// <param name="listFile">A PRISM CSV.</param>
    /// <param name="dataRoot">The local folder standing for <c>/data/</c>.</param>
    public static List<(string Path, int Label)> Read(string listFile, string dataRoot)
    {
        var rows = new List<(string, int)>();
        foreach (var (line, f) in ListFile.Rows(listFile, ListFile.Comma))
        {
            var p = f[0].StartsWith(PublishedPrefix, StringComparison.Ordinal) ? f[0][PublishedPrefix.Length..] : f[0];
            rows.Add((DataRoot.Resolve(dataRoot, p, listFile), ListFile.Int(f[^1], listFile, line)));
        }
        return rows;
    }

    /// <summary>Loads a clean PRISM list (e.g. <c>CUB_test.csv</c>) as a split.</summary>
    public static DataSplit LoadClean(string listFile, string dataRoot, bool checkFiles = true)
    {
        var rows = Read(listFile, dataRoot);
        if (checkFiles) DataRoot.RequireFiles(rows.Select(r => r.Path), listFile);
        return DataSplit.FromOriginalLabels("prism/" + Path.GetFileNameWithoutExtension(listFile),
            rows.Select(r => ((ImageSource)new FileImageSource(r.Path), r.Label)));
    }

    /// <summary>
    /// Loads a noisy training list joined on path with the clean list. A sample is noisy when its path is missing
    /// from <paramref name="cleanedList"/> (PRISM's own rule) or, without that list, when its label differs from the
    /// clean one. Labels are remapped to contiguous 0-based ids; the noisy list's ids are kept as original labels.
    /// A small-cluster list (0-based cluster labels, recognised by a label 0 that is no clean class) is read by
    /// <see cref="LoadSmallCluster"/> instead, where <paramref name="foreignLabels"/> does not apply.
    /// </summary>
    /// <param name="noisyList">E.g. <c>CUB_0.2noised_train.csv</c>.</param>
    /// <param name="cleanList">The clean training list, e.g. <c>CUB_train.csv</c>.</param>
    /// <param name="dataRoot">The local folder standing for <c>/data/</c>.</param>
    /// <param name="cleanedList">Optional <c>…_cleaned_train.csv</c>.</param>
    /// <param name="foreignLabels">What to do with labels that are not clean training classes.</param>
    /// <param name="checkFiles">Check that every image file exists.</param>
    public static NoisyLabelResult LoadNoisy(string noisyList, string cleanList, string dataRoot, string? cleanedList = null,
        ForeignLabelPolicy foreignLabels = ForeignLabelPolicy.KeepAsExtraClass, bool checkFiles = true)
    {
        var clean = ReadClean(cleanList, dataRoot);
        var cleanClasses = clean.Values.ToHashSet();
        var noisy = Read(noisyList, dataRoot);
        // Small-cluster lists number their clusters from 0 while the clean ids start at 1: read as symmetric noise,
        // every label would look foreign (Drop would delete whole classes) or wrong (almost every sample noisy).
        if (IsSmallClusterList(noisy, cleanClasses)) return SmallCluster(noisy, noisyList, clean, cleanList, dataRoot, cleanedList, checkFiles);
        var cleaned = cleanedList is null ? null : Read(cleanedList, dataRoot).Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<(ImageSource, int, bool, int)>();
        int foreign = 0;
        foreach (var (p, l) in noisy)
        {
            var truth = Join(p, noisyList, clean, cleanList, seen);
            bool isForeign = !cleanClasses.Contains(l);
            if (isForeign) { foreign++; if (foreignLabels == ForeignLabelPolicy.Drop) continue; }
            bool isNoisy = cleaned is not null ? !cleaned.Contains(p) : l != truth;
            rows.Add((new FileImageSource(p), l, isNoisy, truth));
        }
        if (checkFiles) DataRoot.RequireFiles(rows.Select(r => ((FileImageSource)r.Item1).Path), noisyList);
        var split = DataSplit.FromOriginalLabels("prism/" + Path.GetFileNameWithoutExtension(noisyList), rows);
        return new NoisyLabelResult(split, split.NoiseRate, foreign);
    }

    /// <summary>
    /// Loads a small-cluster list (<c>{DS}_{0.25,0.5}smallclusternoised_train.csv</c>, spec/losses.md §8): a fraction of
    /// the classes is dissolved into small groups that take the labels of intact classes, and the intact classes are
    /// re-indexed 0-based. Each cluster label is mapped back to the clean class id it stands for (from
    /// <paramref name="cleanedList"/>, which holds exactly the intact images, or else from the clean class holding most
    /// of the label's images), so original labels stay in the data set's id space and a sample is noisy when that class
    /// is not its own. <see cref="NoisyLabelResult.ForeignLabelSamples"/> is 0.
    /// </summary>
    /// <param name="noisyList">E.g. <c>CUB_0.25smallclusternoised_train.csv</c>.</param>
    /// <param name="cleanList">The clean training list, e.g. <c>CUB_train.csv</c>.</param>
    /// <param name="dataRoot">The local folder standing for <c>/data/</c>.</param>
    /// <param name="cleanedList">Optional <c>…smallclusternoised_cleaned_train.csv</c>.</param>
    /// <param name="checkFiles">Check that every image file exists.</param>
    public static NoisyLabelResult LoadSmallCluster(string noisyList, string cleanList, string dataRoot, string? cleanedList = null, bool checkFiles = true) =>
        SmallCluster(Read(noisyList, dataRoot), noisyList, ReadClean(cleanList, dataRoot), cleanList, dataRoot, cleanedList, checkFiles);

    private static NoisyLabelResult SmallCluster(List<(string Path, int Label)> noisy, string noisyList, Dictionary<string, int> clean,
        string cleanList, string dataRoot, string? cleanedList, bool checkFiles)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var truths = noisy.Select(r => Join(r.Path, noisyList, clean, cleanList, seen)).ToList();
        var classOf = new Dictionary<int, int>();   // cluster label → clean class id it stands for
        HashSet<string>? cleaned = null;
        if (cleanedList is not null)
        {
            var cleanedRows = Read(cleanedList, dataRoot);
            cleaned = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (p, l) in cleanedRows)
            {
                if (!clean.TryGetValue(p, out var truth)) throw new InvalidDataException($"{cleanedList}: path '{p}' is not in the clean list '{cleanList}'.");
                if (classOf.TryGetValue(l, out var c) && c != truth)
                    throw new InvalidDataException($"{cleanedList}: cluster label {l} holds images of clean classes {c} and {truth}; a cleaned small-cluster list holds whole intact classes.");
                classOf[l] = truth;
                cleaned.Add(p);
            }
        }
        // Labels without cleaned rows (or no cleaned list): the intact class keeps all its images under its label,
        // while dissolved classes arrive in groups of a few, so the most frequent clean class is the one it stands for.
        foreach (var g in noisy.Select((r, i) => (r.Label, Truth: truths[i])).GroupBy(x => x.Label).Where(g => !classOf.ContainsKey(g.Key)))
            classOf[g.Key] = g.GroupBy(x => x.Truth).OrderByDescending(t => t.Count()).ThenBy(t => t.Key).First().Key;
        foreach (var dup in classOf.GroupBy(kv => kv.Value).Where(g => g.Count() > 1))
            throw new InvalidDataException($"{noisyList}: cluster labels {string.Join(" and ", dup.Select(kv => kv.Key).Order())} both stand for clean class {dup.Key}; is this a small-cluster list?");
        var rows = noisy.Select((r, i) =>
        {
            int id = classOf[r.Label];
            bool isNoisy = cleaned is not null ? !cleaned.Contains(r.Path) : id != truths[i];
            return ((ImageSource)new FileImageSource(r.Path), id, isNoisy, truths[i]);
        }).ToList();
        if (checkFiles) DataRoot.RequireFiles(noisy.Select(r => r.Path), noisyList);
        var split = DataSplit.FromOriginalLabels("prism/" + Path.GetFileNameWithoutExtension(noisyList), rows);
        return new NoisyLabelResult(split, split.NoiseRate, 0);
    }

    private static bool IsSmallClusterList(List<(string Path, int Label)> noisy, HashSet<int> cleanClasses) =>
        !cleanClasses.Contains(0) && noisy.Any(r => r.Label == 0);

    private static Dictionary<string, int> ReadClean(string cleanList, string dataRoot)
    {
        var clean = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (p, l) in Read(cleanList, dataRoot))
            if (!clean.TryAdd(p, l)) throw new InvalidDataException($"{cleanList}: path '{p}' is listed twice.");
        return clean;
    }

    private static int Join(string path, string noisyList, Dictionary<string, int> clean, string cleanList, HashSet<string> seen)
    {
        if (!clean.TryGetValue(path, out var truth))
            throw new InvalidDataException($"{noisyList}: path '{path}' is not in the clean list '{cleanList}'.");
        if (!seen.Add(path)) throw new InvalidDataException($"{noisyList}: path '{path}' is listed twice.");
        return truth;
    }
}

/// <summary>A split with (partly) wrong labels and its realised noise rate.</summary>
/// <param name="Split">The noisy split; <see cref="Sample.IsNoisy"/> marks the wrong labels.</param>
/// <param name="RealisedNoiseRate">Fraction of samples whose label is wrong.</param>
/// <param name="ForeignLabelSamples">Samples whose noisy label was not a clean class (e.g. PRISM's CUB label 101), kept or dropped per policy.</param>
public sealed record NoisyLabelResult(DataSplit Split, double RealisedNoiseRate, int ForeignLabelSamples);
