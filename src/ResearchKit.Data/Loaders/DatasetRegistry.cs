namespace ResearchKit.Data;

/// <summary>A named data set: how to load it and how its raw-pixel baseline is taken.</summary>
/// <param name="Name">Registry name.</param>
/// <param name="Description">One line.</param>
/// <param name="BaselineSize">Side for raw-pixel features.</param>
/// <param name="Grayscale">Whether it is grey.</param>
/// <param name="Offline">Available without internet.</param>
public sealed record DatasetInfo(string Name, string Description, int BaselineSize, bool Grayscale, bool Offline);

/// <summary>The data sets by name: <c>glyphs-tiny</c>, <c>glyphs</c>, <c>fashion-mnist</c>, <c>cub</c>, <c>cars</c>, <c>sop</c>.</summary>
public static class DatasetRegistry
{
    /// <summary>All known data sets.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } =
    [
        new("glyphs-tiny", "characters × DejaVu faces, 40/40 classes, 32 px (CI)", 32, true, true),
        new("glyphs", "characters × curated Debian fonts, 100/100 classes, 32 px (data-scripts/install-fonts.sh)", 32, true, true),
        new("fashion-mnist", "Fashion-MNIST (apt dataset-fashion-mnist), 5/5 classes, 28 px", 28, true, true),
        new("cub", "CUB-200-2011, 100/100 classes (data-scripts/get-cub.sh)", 64, false, false),
        new("cars", "Cars-196, 98/98 classes (data-scripts/get-cars.sh)", 64, false, false),
        new("sop", "Stanford Online Products, 11,318/11,316 classes (data-scripts/get-sop.sh)", 64, false, false),
    ];

    /// <summary>The info of a name.</summary>
    public static DatasetInfo Info(string name) => All.FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"unknown data set '{name}'; expected one of {string.Join(", ", All.Select(d => d.Name))}.", nameof(name));

    /// <summary>Loads a data set by name from <paramref name="dataRoot"/> (default <see cref="DataRoot.Default"/>).</summary>
    /// <param name="name">A registered name.</param>
    /// <param name="dataRoot">Data root.</param>
    /// <param name="warn">Receives warnings (e.g. glyphs rendered without some curated font packages); standard error when null.</param>
    public static ZeroShotDataset Load(string name, string? dataRoot = null, Action<string>? warn = null)
    {
        var root = dataRoot ?? DataRoot.Default;
        return Info(name).Name switch
        {
            "glyphs-tiny" => GlyphDataset.Load(GlyphDatasetOptions.Tiny, root).Dataset,
            "glyphs" => Warned(GlyphDataset.Load(GlyphDatasetOptions.Standard, root), warn ?? Console.Error.WriteLine),
            "fashion-mnist" => FashionMnistLoader.Load(),
            "cub" => CubLoader.Load(root),
            "cars" => CarsLoader.Load(root),
            _ => SopLoader.Load(root),
        };
    }

    private static ZeroShotDataset Warned(GlyphDatasetResult result, Action<string> warn)
    {
        if (result.Warning is not null) warn(result.Warning);
        return result.Dataset;
    }
}
