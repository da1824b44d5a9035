using System.Buffers.Binary;
using System.IO.Compression;

namespace ResearchKit.Data;

/// <summary>
/// Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c> package (gzipped IDX files), as a zero-shot set:
/// all 70,000 images; classes 0–4 train, 5–9 test (10 classes only allow 5 against 5).
/// </summary>
public static class FashionMnistLoader
{
    /// <summary>Where the Debian package installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The ten class names, indexed by label.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads train+t10k and splits the classes 0–4 / 5–9.</summary>
    /// <param name="directory">Folder with the four <c>*-ubyte.gz</c> files; defaults to <see cref="DebianDirectory"/>.</param>
    public static ZeroShotDataset Load(string? directory = null)
    {
        var dir = directory ?? DebianDirectory;
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Fashion-MNIST not found at '{dir}': install it with `apt-get install dataset-fashion-mnist`.");
        var (trainImages, h, w) = ReadImages(Path.Combine(dir, "train-images-idx3-ubyte.gz"));
        var trainLabels = ReadLabels(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        var (testImages, h2, w2) = ReadImages(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"));
        var testLabels = ReadLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));
        if (h != h2 || w != w2) throw new InvalidDataException($"{dir}: train and t10k image sizes differ ({h}×{w} vs {h2}×{w2}).");
        var labels = trainLabels.Concat(testLabels).ToArray();
        var buffer = new PixelBuffer("fashion-mnist", [.. trainImages, .. testImages], labels.Length, h, w, 1);
        if (trainLabels.Length * h * w != trainImages.Length)
            throw new InvalidDataException($"{dir}: {trainLabels.Length} train labels but {trainImages.Length / (h * w)} train images.");
        var rows = labels.Select((l, i) => ((ImageSource)new PixelImageSource(buffer, i), (int)l)).ToList();
        return new ZeroShotDataset("fashion-mnist",
            DataSplit.FromOriginalLabels("fashion-mnist/train", rows.Where(r => r.Item2 < 5)),
            DataSplit.FromOriginalLabels("fashion-mnist/test", rows.Where(r => r.Item2 >= 5)));
    }

    /// <summary>Reads an IDX3 image file (optionally gzipped): bytes N×H×W, and H, W.</summary>
    public static (byte[] Pixels, int Height, int Width) ReadImages(string path)
    {
        var bytes = ReadAll(path);
        if (bytes.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(bytes) != 0x00000803)
            throw new InvalidDataException($"'{path}' is not an IDX3 ubyte image file (magic 0x00000803).");
        int n = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)), h = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)), w = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        if (16L + (long)n * h * w != bytes.Length) throw new InvalidDataException($"'{path}': header says {n}×{h}×{w} but the file holds {bytes.Length - 16} pixel bytes.");
        return (bytes[16..], h, w);
    }

    /// <summary>Reads an IDX1 label file (optionally gzipped).</summary>
    public static byte[] ReadLabels(string path)
    {
        var bytes = ReadAll(path);
        if (bytes.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(bytes) != 0x00000801)
            throw new InvalidDataException($"'{path}' is not an IDX1 ubyte label file (magic 0x00000801).");
        int n = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (8 + n != bytes.Length) throw new InvalidDataException($"'{path}': header says {n} labels but the file holds {bytes.Length - 8}.");
        return bytes[8..];
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Fashion-MNIST file not found: '{path}' (apt-get install dataset-fashion-mnist).", path);
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var ms = new MemoryStream();
        try { s.CopyTo(ms); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}' is not a valid gzip file: {e.Message}", e); }
        return ms.ToArray();
    }
}
