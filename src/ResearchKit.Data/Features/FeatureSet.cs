using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Data;

/// <summary>
/// Precomputed features of a split (e.g. a frozen backbone's outputs) with the split's labels, original ids and
/// noisy flags: a data set whose "images" are feature vectors, so frozen-backbone experiments train in seconds.
/// Saved as one binary file; <see cref="Fingerprint"/> ties it to the split and backbone it came from.
/// </summary>
public sealed class FeatureSet : IDisposable
{
    private const string Magic = "RKFEAT01";

    /// <summary>Creates a feature set; <paramref name="features"/> [N, D] is taken over (moved to CPU float32).</summary>
    public FeatureSet(string name, string fingerprint, Tensor features, long[] labels, int[] originalLabels, bool[] isNoisy, IReadOnlyList<int> classIds)
    {
        if (features.dim() != 2) throw new ArgumentException($"features must be [N, D]; got [{string.Join(", ", features.shape)}].", nameof(features));
        int n = (int)features.shape[0];
        if (labels.Length != n || originalLabels.Length != n || isNoisy.Length != n)
            throw new ArgumentException($"labels, originalLabels and isNoisy must each have N = {n} entries.", nameof(labels));
        (Name, Fingerprint, Labels, OriginalLabels, IsNoisy, ClassIds) = (name, fingerprint, labels, originalLabels, isNoisy, classIds);
        Features = features.detach().to(ScalarType.Float32).cpu().contiguous().DetachFromDisposeScope();
    }

    /// <summary>Name (the split's).</summary>
    public string Name { get; }
    /// <summary>Identity of (split, backbone, pipeline) the features came from.</summary>
    public string Fingerprint { get; }
    /// <summary>Features [N, D], float32, CPU.</summary>
    public Tensor Features { get; }
    /// <summary>Label of each row, contiguous 0..C-1 (what the losses and metrics take).</summary>
    public long[] Labels { get; }
    /// <summary>Original class ids.</summary>
    public int[] OriginalLabels { get; }
    /// <summary>Per row: its label was changed by label noise (for the confidence module's diagnostics).</summary>
    public bool[] IsNoisy { get; }
    /// <summary>Original id per contiguous label.</summary>
    public IReadOnlyList<int> ClassIds { get; }
    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;
    /// <summary>Feature dimension D (columns of <see cref="Features"/>).</summary>
    public int Dimension => (int)Features.shape[1];

    /// <summary>Labels as an int64 tensor.</summary>
    public Tensor LabelTensor(Device? device = null) => tensor(Labels, device: device);

    /// <summary>Writes the set to <paramref name="path"/> (via a temporary file, so a crash leaves no half file).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var w = new BinaryWriter(File.Create(tmp)))
            {
                w.Write(Encoding.ASCII.GetBytes(Magic));
                w.Write(Name); w.Write(Fingerprint);
                w.Write(Count); w.Write(Dimension); w.Write(ClassIds.Count);
                foreach (var id in ClassIds) w.Write(id);
                for (int i = 0; i < Count; i++) { w.Write((int)Labels[i]); w.Write(OriginalLabels[i]); w.Write(IsNoisy[i]); }
                w.Write(Features.data<float>().ToArray().AsSpan().ToBytes());
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    /// <summary>Reads a set written by <see cref="Save"/>.</summary>
    public static FeatureSet Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"feature file not found: '{path}'", path);
        using var r = new BinaryReader(File.OpenRead(path));
        try
        {
            if (Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)) != Magic) throw new InvalidDataException($"'{path}' is not a ResearchKit feature file.");
            string name = r.ReadString(), fp = r.ReadString();
            int n = r.ReadInt32(), d = r.ReadInt32(), c = r.ReadInt32();
            var ids = Enumerable.Range(0, c).Select(_ => r.ReadInt32()).ToArray();
            var labels = new long[n]; var orig = new int[n]; var noisy = new bool[n];
            for (int i = 0; i < n; i++) { labels[i] = r.ReadInt32(); orig[i] = r.ReadInt32(); noisy[i] = r.ReadBoolean(); }
            var bytes = r.ReadBytes(checked(n * d * 4));
            if (bytes.Length != n * d * 4) throw new EndOfStreamException();
            var floats = new float[n * d];
            Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
            using var t = tensor(floats, [n, d]);
            return new FeatureSet(name, fp, t, labels, orig, noisy, ids);
        }
        catch (EndOfStreamException) { throw new InvalidDataException($"'{path}' is truncated."); }
    }

    /// <summary>A fingerprint of a split's samples plus a caller key (backbone name, weights hash, pipeline).</summary>
    public static string FingerprintOf(DataSplit split, string key)
    {
        var sb = new StringBuilder(key).Append('|').Append(split.Name).Append('|').Append(split.Count);
        foreach (var s in split.Samples) sb.Append('|').Append(s.Source.Describe()).Append(':').Append(s.OriginalLabel);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <inheritdoc />
    public void Dispose() => Features.Dispose();
}

internal static class SpanBytes
{
    public static byte[] ToBytes(this Span<float> values)
    {
        var bytes = new byte[values.Length * 4];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);
        return bytes;
    }
}
