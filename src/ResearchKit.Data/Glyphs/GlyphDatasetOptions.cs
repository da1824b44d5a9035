namespace ResearchKit.Data;

/// <summary>Which fonts a glyph data set is rendered from.</summary>
public enum GlyphFontSet
{
    /// <summary>The DejaVu text faces already on the machine (21 with fonts-dejavu-extra).</summary>
    DejaVu,
    /// <summary>The curated 126-package list (data-scripts/install-fonts.sh installs it).</summary>
    Curated,
}

/// <summary>
/// Options of a glyph data set (classes are characters, samples are font faces; spec/data.md §2 and §5.1).
/// The defaults of <see cref="Tiny"/> and <see cref="Standard"/> are the two published sizes.
/// </summary>
public sealed record GlyphDatasetOptions
{
    /// <summary>Data set name ("glyphs-tiny", "glyphs").</summary>
    public string Name { get; init; } = "glyphs";
    /// <summary>Font set.</summary>
    public GlyphFontSet Fonts { get; init; } = GlyphFontSet.Curated;
    /// <summary>Image side in pixels (grey).</summary>
    public int ImageSize { get; init; } = 32;
    /// <summary>Fixed em size as a fraction of the image side (never scale-to-fit).</summary>
    public double EmFraction { get; init; } = 0.7;
    /// <summary>Number of classes (characters) to keep.</summary>
    public int ClassCount { get; init; } = 200;
    /// <summary>How many of them are training classes; the rest are held-out test classes.</summary>
    public int TrainClassCount { get; init; } = 100;
    /// <summary>At most this many faces per class, chosen with the seed among those that cover it.</summary>
    public int MaxFacesPerClass { get; init; } = 40;
    /// <summary>A character needs at least this many distinct, non-blank renders to become a class.</summary>
    public int MinImagesPerClass { get; init; } = 20;
    /// <summary>Seed of the face choice and the class split.</summary>
    public int Seed { get; init; }
    /// <summary>A render whose mean ink (0..1) is below this is blank and dropped.</summary>
    public double MinInk { get; init; } = 0.01;
    /// <summary>Two characters whose renders in the reference face differ by less than this mean absolute difference (0..1) are homoglyphs (true homoglyphs measure 0; é vs è 0.014, x vs X 0.03); the later one is dropped.</summary>
    public double HomoglyphThreshold { get; init; } = 0.002;

    /// <summary>glyphs-tiny: DejaVu only, 80 characters (40/40), 32 px: renders in well under a second.</summary>
    public static GlyphDatasetOptions Tiny { get; } = new()
    {
        Name = "glyphs-tiny", Fonts = GlyphFontSet.DejaVu, ClassCount = 80, TrainClassCount = 40, MaxFacesPerClass = 21, MinImagesPerClass = 6,
    };

    /// <summary>glyphs: the curated fonts, 200 characters (100/100 like CUB), up to 40 faces each, 32 px.</summary>
    public static GlyphDatasetOptions Standard { get; } = new();

    internal void Validate()
    {
        if (ImageSize is < 8 or > 256) throw new ArgumentException($"ImageSize must be in [8, 256]; got {ImageSize}.", nameof(ImageSize));
        if (ClassCount < 2) throw new ArgumentException($"ClassCount must be ≥ 2; got {ClassCount}.", nameof(ClassCount));
        if (TrainClassCount < 1 || TrainClassCount >= ClassCount) throw new ArgumentException($"TrainClassCount must be in [1, ClassCount); got {TrainClassCount}.", nameof(TrainClassCount));
        if (MaxFacesPerClass < 1 || MinImagesPerClass < 1 || MinImagesPerClass > MaxFacesPerClass)
            throw new ArgumentException($"need 1 ≤ MinImagesPerClass ≤ MaxFacesPerClass; got {MinImagesPerClass}, {MaxFacesPerClass}.", nameof(MinImagesPerClass));
    }
}
