namespace ResearchKit.Data;

/// <summary>What a data set is: its registry name, one line for <c>researchkit data list</c>, and how its raw-pixel baseline is taken.</summary>
/// <param name="Name">Registry name (what a config's <c>dataset</c> field holds).</param>
/// <param name="Description">One line: what it is and where it comes from (the script that fetches it).</param>
/// <param name="BaselineSize">Side in pixels of the raw-pixel baseline's features.</param>
/// <param name="Grayscale">Its images are grey (one channel).</param>
/// <param name="Offline">It needs no download (rendered from installed fonts or shipped by a Debian package).</param>
public sealed record DatasetInfo(string Name, string Description, int BaselineSize, bool Grayscale, bool Offline);

/// <summary>Loads a registered data set.</summary>
/// <param name="dataRoot">The data root the data set's files are under.</param>
/// <param name="warn">Receives warnings that do not stop the load (e.g. glyphs rendered without some curated fonts).</param>
public delegate ZeroShotDataset DatasetLoader(string dataRoot, Action<string> warn);

/// <summary>A registered data set: what it is and how it loads.</summary>
/// <param name="Info">Name, description, baseline settings, offline flag.</param>
/// <param name="Loader">Loads it from a data root.</param>
public sealed record DatasetEntry(DatasetInfo Info, DatasetLoader Loader);

/// <summary>
/// Name → data set, in the style of the backbone registry: <see cref="Default"/> holds the kit's data sets (<c>glyphs-tiny</c>,
/// <c>glyphs</c>, <c>fashion-mnist</c>, <c>cub</c>, <c>cars</c>, <c>sop</c>), <see cref="Register"/> adds more, and an unknown
/// name is an error that lists the registered ones.
/// </summary>
public sealed class DatasetRegistry
{
    private readonly List<DatasetEntry> entries = [];
    private readonly Lock gate = new();

    /// <summary>The shared registry with the kit's data sets.</summary>
    public static DatasetRegistry Default { get; } = CreateDefault();

    /// <summary>A new registry holding the kit's data sets, in the order <c>data list</c> shows them.</summary>
    public static DatasetRegistry CreateDefault()
    {
        var r = new DatasetRegistry();
        r.Register(new("glyphs-tiny", "characters × DejaVu faces, 40/40 classes, 32 px (CI)", 32, true, true),
            (root, _) => GlyphDataset.Load(GlyphDatasetOptions.Tiny, root).Dataset);
        r.Register(new("glyphs", "characters × curated Debian fonts, 100/100 classes, 32 px (data-scripts/install-fonts.sh)", 32, true, true),
            (root, warn) => Warned(GlyphDataset.Load(GlyphDatasetOptions.Standard, root), warn));
        r.Register(new("fashion-mnist", "Fashion-MNIST (apt dataset-fashion-mnist), 5/5 classes, 28 px", 28, true, true),
            (_, _) => FashionMnistLoader.Load());
        r.Register(new("cub", "CUB-200-2011, 100/100 classes (data-scripts/get-cub.sh)", 64, false, false), (root, _) => CubLoader.Load(root));
        r.Register(new("cars", "Cars-196, 98/98 classes (data-scripts/get-cars.sh)", 64, false, false), (root, _) => CarsLoader.Load(root));
        r.Register(new("sop", "Stanford Online Products, 11,318/11,316 classes (data-scripts/get-sop.sh)", 64, false, false), (root, _) => SopLoader.Load(root));
        return r;
    }

    /// <summary>The registered data sets, in registration order.</summary>
    public IReadOnlyList<DatasetEntry> Entries
    {
        get { lock (gate) return entries.ToArray(); }
    }

    /// <summary>The registered names, in registration order.</summary>
    public IReadOnlyList<string> Names => Entries.Select(e => e.Info.Name).ToArray();

    /// <summary>Adds a data set.</summary>
    /// <exception cref="ArgumentException">The name is empty or already registered.</exception>
    public void Register(DatasetInfo info, DatasetLoader loader)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(loader);
        if (string.IsNullOrWhiteSpace(info.Name)) throw new ArgumentException("Expected a non-empty data set name.", nameof(info));
        lock (gate)
        {
            if (entries.Any(e => e.Info.Name == info.Name))
                throw new ArgumentException($"Data set '{info.Name}' is already registered.", nameof(info));
            entries.Add(new DatasetEntry(info, loader));
        }
    }

    /// <summary>The entry for <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the registered names.</exception>
    public DatasetEntry Get(string name) => Entries.FirstOrDefault(e => e.Info.Name == name)
        ?? throw new ArgumentException($"unknown data set '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Loads data set <paramref name="name"/> from <paramref name="dataRoot"/> (default <see cref="DataRoot.Default"/>).</summary>
    /// <param name="name">A registered name.</param>
    /// <param name="dataRoot">Data root.</param>
    /// <param name="warn">Receives warnings; standard error when null.</param>
    /// <exception cref="ArgumentException">Unknown name; the message lists the registered names.</exception>
    public ZeroShotDataset Load(string name, string? dataRoot = null, Action<string>? warn = null) =>
        Get(name).Loader(dataRoot ?? DataRoot.Default, warn ?? Console.Error.WriteLine);

    /// <summary>The info of <paramref name="name"/> in <see cref="Default"/> (shorthand for <c>Default.Get(name).Info</c>).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the registered names.</exception>
    public static DatasetInfo Info(string name) => Default.Get(name).Info;

    private static ZeroShotDataset Warned(GlyphDatasetResult result, Action<string> warn)
    {
        if (result.Warning is not null) warn(result.Warning);
        return result.Dataset;
    }
}
