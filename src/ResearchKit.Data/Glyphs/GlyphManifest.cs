using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResearchKit.Data;

/// <summary>
/// What a rendered glyph data set contains, written next to its pixels as <c>manifest.json</c>: options, the
/// faces (with font-file hashes), the classes with their split and faces, and the hash of <c>images.bin</c>.
/// No timestamps: the same fonts and seed give a byte-identical manifest.
/// </summary>
public sealed record GlyphManifest
{
    /// <summary>Manifest format version.</summary>
    public int Format { get; init; } = 1;
    /// <summary>Data set name.</summary>
    public required string Name { get; init; }
    /// <summary>The options it was rendered with.</summary>
    public required GlyphDatasetOptions Options { get; init; }
    /// <summary>Renderer identity (SkiaSharp version and renderer revision): pixels may drift across versions.</summary>
    public required string Renderer { get; init; }
    /// <summary>The faces, indexed by <see cref="GlyphClass.Faces"/>.</summary>
    public required IReadOnlyList<FontFace> Faces { get; init; }
    /// <summary>The classes in sample order.</summary>
    public required IReadOnlyList<GlyphClass> Classes { get; init; }
    /// <summary>Number of images in <c>images.bin</c>.</summary>
    public required int ImageCount { get; init; }
    /// <summary>Hex SHA-256 of <c>images.bin</c>.</summary>
    public required string ImagesSha256 { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The canonical UTF-8 JSON bytes.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Parses a manifest.</summary>
    public static GlyphManifest FromJson(byte[] json, string path) =>
        JsonSerializer.Deserialize<GlyphManifest>(json, Json) ?? throw new InvalidDataException($"'{path}' is not a glyph manifest.");
}

/// <summary>One class of a glyph data set.</summary>
/// <param name="CodePoint">The character's code point (also the class's original id).</param>
/// <param name="Character">The character, for reading.</param>
/// <param name="Split">"train" or "test".</param>
/// <param name="Faces">Indices into <see cref="GlyphManifest.Faces"/>, one per image, in image order.</param>
public sealed record GlyphClass(int CodePoint, string Character, string Split, IReadOnlyList<int> Faces);
