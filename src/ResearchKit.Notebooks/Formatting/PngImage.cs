namespace ResearchKit.Notebooks.Formatting;

/// <summary>PNG bytes to display inline as an <c>image/png</c> output (e.g. a static export of a chart).</summary>
/// <param name="Bytes">The PNG file content.</param>
public sealed record PngImage(byte[] Bytes)
{
    /// <summary>Reads a PNG file.</summary>
    public static PngImage Load(string path) => new(File.ReadAllBytes(path));

    /// <summary>The bytes as base64, as notebooks store images.</summary>
    public string ToBase64() => Convert.ToBase64String(Bytes);
}
