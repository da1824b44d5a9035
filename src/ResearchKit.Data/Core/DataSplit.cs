using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Data;

/// <summary>
/// One split (train or test) of a data set: its samples, with labels contiguous 0-based within the split and
/// the data set's original class ids kept (<see cref="ClassIds"/>[label] = original id).
/// </summary>
public sealed class DataSplit
{
    /// <summary>Builds a split, checking that labels are contiguous 0..C-1, agree with <paramref name="classIds"/>, and no class is empty.</summary>
    /// <param name="name">E.g. "cub/train".</param>
    /// <param name="samples">The images with their contiguous labels, in split order.</param>
    /// <param name="classIds">Original class id of each contiguous label (length C).</param>
    public DataSplit(string name, IReadOnlyList<Sample> samples, IReadOnlyList<int> classIds)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(classIds);
        Name = name;
        Samples = samples;
        ClassIds = classIds;
        var counts = new int[classIds.Count];
        foreach (var s in samples)
        {
            if ((uint)s.Label >= (uint)classIds.Count)
                throw new ArgumentException($"{name}: sample label must be in [0, {classIds.Count}); got {s.Label} for {s.Source.Describe()}.", nameof(samples));
            if (classIds[s.Label] != s.OriginalLabel)
                throw new ArgumentException($"{name}: label {s.Label} maps to original id {classIds[s.Label]} but {s.Source.Describe()} says {s.OriginalLabel}.", nameof(samples));
            counts[s.Label]++;
        }
        int empty = Array.IndexOf(counts, 0);
        if (empty >= 0) throw new ArgumentException($"{name}: class {empty} (original id {classIds[empty]}) has no samples; every class needs at least one.", nameof(classIds));
        ClassCounts = counts;
    }

    /// <summary>Split name, e.g. "cub/train".</summary>
    public string Name { get; }
    /// <summary>The samples, in a fixed order (indices refer to it).</summary>
    public IReadOnlyList<Sample> Samples { get; }
    /// <summary>Original class id per contiguous label.</summary>
    public IReadOnlyList<int> ClassIds { get; }
    /// <summary>Samples per contiguous label.</summary>
    public IReadOnlyList<int> ClassCounts { get; }
    /// <summary>Number of classes C (labels are 0..C-1).</summary>
    public int ClassCount => ClassIds.Count;
    /// <summary>Number of samples.</summary>
    public int Count => Samples.Count;

    /// <summary>Contiguous labels as an int64 tensor [N].</summary>
    public Tensor Labels(Device? device = null) => tensor(Samples.Select(s => (long)s.Label).ToArray(), device: device);

    /// <summary>Is-noisy flags as a bool tensor [N].</summary>
    public Tensor NoisyMask(Device? device = null) => tensor(Samples.Select(s => s.IsNoisy).ToArray(), device: device);

    /// <summary>Fraction of samples whose label is wrong.</summary>
    public double NoiseRate => Count == 0 ? 0 : Samples.Count(s => s.IsNoisy) / (double)Count;

    /// <summary>
    /// Builds a split from (source, original label, noisy?, clean original label) rows: labels become contiguous
    /// 0-based indices in ascending order of the original ids.
    /// </summary>
    public static DataSplit FromOriginalLabels(string name, IEnumerable<(ImageSource Source, int OriginalLabel, bool IsNoisy, int CleanOriginalLabel)> rows)
    {
        var list = rows.ToList();
        var map = LabelMap.FromIds(list.Select(r => r.OriginalLabel));
        var samples = list.Select(r => new Sample(r.Source, map.ToContiguous(r.OriginalLabel), r.OriginalLabel, r.IsNoisy, r.CleanOriginalLabel)).ToList();
        return new DataSplit(name, samples, map.Ids);
    }

    /// <summary>Builds a clean split from (source, original label) rows.</summary>
    public static DataSplit FromOriginalLabels(string name, IEnumerable<(ImageSource Source, int OriginalLabel)> rows)
        => FromOriginalLabels(name, rows.Select(r => (r.Source, r.OriginalLabel, false, r.OriginalLabel)));

    /// <summary>
    /// Builds a clean split whose classes are fixed in advance (e.g. CUB 1–100): every row's id must be one of
    /// <paramref name="expectedClassIds"/>, and every expected class must have an image, so a class whose rows are
    /// missing fails loudly instead of silently shrinking the split.
    /// </summary>
    /// <param name="name">E.g. "cub/train".</param>
    /// <param name="rows">(source, original label) rows.</param>
    /// <param name="expectedClassIds">The split's class ids.</param>
    /// <param name="listFile">The list the rows came from, named in errors.</param>
    /// <exception cref="InvalidDataException">A row's class is not expected, or an expected class has no images.</exception>
    public static DataSplit FromExpectedClasses(string name, IEnumerable<(ImageSource Source, int OriginalLabel)> rows,
        IEnumerable<int> expectedClassIds, string listFile)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(expectedClassIds);
        var list = rows.ToList();
        var expected = expectedClassIds.ToHashSet();
        foreach (var (source, id) in list)
            if (!expected.Contains(id))
                throw new InvalidDataException($"{listFile}: {source.Describe()} has class id {id}, which is not one of the {expected.Count} classes of {name}.");
        var present = list.Select(r => r.OriginalLabel).ToHashSet();
        var empty = expected.Where(id => !present.Contains(id)).Order().ToList();
        if (empty.Count > 0)
            throw new InvalidDataException($"{listFile}: class id {empty[0]} of {name} has no images" +
                (empty.Count > 1 ? $" (nor do {empty.Count - 1} more: {string.Join(", ", empty.Skip(1).Take(10))}{(empty.Count > 11 ? ", …" : "")})." : "."));
        return FromOriginalLabels(name, list);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} images, {ClassCount} classes";
}

/// <summary>A zero-shot data set: training classes and disjoint held-out test classes.</summary>
/// <param name="Name">Data set name, e.g. "cub".</param>
/// <param name="Train">Training split.</param>
/// <param name="Test">Test split (held-out classes).</param>
public sealed record ZeroShotDataset(string Name, DataSplit Train, DataSplit Test)
{
    /// <summary>Image counts and per-class statistics of both splits.</summary>
    public DatasetStatistics Statistics() => new(Name, SplitStatistics.Of(Train), SplitStatistics.Of(Test));
}

/// <summary>Maps original class ids to contiguous 0-based labels (ascending id order) and back.</summary>
public sealed class LabelMap
{
    private readonly Dictionary<int, int> _toContiguous;

    private LabelMap(int[] ids)
    {
        Ids = ids;
        _toContiguous = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
    }

    /// <summary>Builds the map from the distinct ids seen.</summary>
    public static LabelMap FromIds(IEnumerable<int> ids) => new(ids.Distinct().Order().ToArray());

    /// <summary>Original id per contiguous label.</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>The contiguous label of an original id.</summary>
    public int ToContiguous(int originalId) => _toContiguous.TryGetValue(originalId, out var c)
        ? c : throw new ArgumentException($"original class id {originalId} is not in this label map.", nameof(originalId));
}
