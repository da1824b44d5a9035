using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace ResearchKit.Training.Weights;

/// <summary>One tensor entry of a safetensors header.</summary>
/// <param name="Name">Tensor name (state-dict key).</param>
/// <param name="DType">Safetensors dtype string (F32, F16, BF16, I64, …).</param>
/// <param name="Shape">Tensor shape.</param>
/// <param name="Begin">Start offset in the data section.</param>
/// <param name="End">End offset (exclusive) in the data section.</param>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reader and writer for the safetensors format: an 8-byte little-endian header length, a UTF-8 JSON header
/// (<c>name → {dtype, shape, data_offsets}</c> plus optional <c>__metadata__</c>), then raw little-endian tensor bytes.
/// Tensors are created on the CPU with the stored dtype.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Reads every tensor (or those whose name passes <paramref name="include"/>) from a file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message names the file.</exception>
    public static Dictionary<string, Tensor> Read(string path, Func<string, bool>? include = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file '{path}' not found.", path);
        using var stream = File.OpenRead(path);
        return Read(stream, path, include);
    }

    /// <summary>Reads tensors from a seekable stream positioned at the start of a safetensors blob.</summary>
    /// <param name="stream">Seekable stream; the blob runs from its current position to its end.</param>
    /// <param name="sourceName">Name used in error messages (usually the file path).</param>
    /// <param name="include">Optional name filter.</param>
    /// <exception cref="InvalidDataException">The blob is not valid safetensors.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string sourceName, Func<string, bool>? include = null)
    {
        var (entries, dataStart) = ReadHeader(stream, sourceName);
        var result = new Dictionary<string, Tensor>(entries.Count);
        try
        {
            foreach (var e in entries)
            {
                if (include is not null && !include(e.Name)) continue;
                SafetensorsDType.TryParse(e.DType, out var type, out _);
                var t = empty(e.Shape, dtype: type);
                long n = e.End - e.Begin;
                if (n > 0)
                {
                    var buffer = new byte[n];
                    stream.Position = dataStart + e.Begin;
                    stream.ReadExactly(buffer);
                    t.bytes = buffer;
                }
                result[e.Name] = t;
            }
        }
        catch (EndOfStreamException ex)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new InvalidDataException($"'{sourceName}' is truncated: {ex.Message}", ex);
        }
        return result;
    }

    /// <summary>Reads and validates only the header of a file.</summary>
    /// <exception cref="InvalidDataException">The header is malformed or inconsistent with the file size.</exception>
    public static IReadOnlyList<SafetensorsEntry> ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path).Entries;
    }

    private static (List<SafetensorsEntry> Entries, long DataStart) ReadHeader(Stream stream, string source)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The safetensors reader needs a little-endian host.");
        long start = stream.Position, total = stream.Length - start;
        InvalidDataException Bad(string why) => new($"'{source}' is not a valid safetensors file: {why}");
        if (total < 8) throw Bad($"{total} bytes, shorter than the 8-byte header length.");
        Span<byte> len8 = stackalloc byte[8];
        stream.ReadExactly(len8);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len8);
        if (headerLen > (ulong)Math.Min(MaxHeaderBytes, total - 8))
            throw Bad($"header length {headerLen} exceeds the {total - 8} bytes that follow (truncated or not safetensors).");
        var headerBytes = new byte[headerLen];
        stream.ReadExactly(headerBytes);
        long dataStart = start + 8 + (long)headerLen, dataLen = total - 8 - (long)headerLen;

        JsonObject header;
        try { header = JsonNode.Parse(headerBytes) as JsonObject ?? throw Bad("the header is not a JSON object."); }
        catch (JsonException ex) { throw Bad($"the header is not valid JSON ({ex.Message})."); }

        var entries = new List<SafetensorsEntry>(header.Count);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            if (node is not JsonObject o) throw Bad($"entry '{name}' is not an object.");
            try
            {
                var dtype = o["dtype"]!.GetValue<string>();
                if (!SafetensorsDType.TryParse(dtype, out _, out int size))
                    throw Bad($"entry '{name}' has unsupported dtype '{dtype}' (supported: {string.Join(", ", SafetensorsDType.Supported)}).");
                var shape = o["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = o["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (shape.Any(d => d < 0)) throw Bad($"entry '{name}' has a negative dimension.");
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                    throw Bad($"entry '{name}' has invalid data_offsets [{string.Join(", ", offsets)}].");
                long numel = shape.Aggregate(1L, (a, b) => a * b);
                if (offsets[1] - offsets[0] != numel * size)
                    throw Bad($"entry '{name}' spans {offsets[1] - offsets[0]} bytes but {dtype}[{string.Join(",", shape)}] needs {numel * size}.");
                if (offsets[1] > dataLen)
                    throw Bad($"entry '{name}' ends at byte {offsets[1]} of a {dataLen}-byte data section (truncated file).");
                entries.Add(new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]));
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or NullReferenceException)
            {
                throw Bad($"entry '{name}' lacks a valid dtype/shape/data_offsets ({ex.Message}).");
            }
        }
        return (entries, dataStart);
    }

    /// <summary>Writes tensors (CPU or not; copied to CPU contiguous) to a safetensors file, keys sorted.</summary>
    /// <exception cref="ArgumentException">A tensor has a dtype safetensors cannot hold here.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = File.Create(path);
        Write(stream, tensors, metadata);
    }

    /// <summary>Writes tensors as a safetensors blob to a stream.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        long offset = 0;
        foreach (var (name, t) in ordered)
        {
            long bytes = t.numel() * t.element_size();
            header[name] = new JsonObject
            {
                ["dtype"] = SafetensorsDType.NameOf(t.dtype),
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The format recommends padding the header with spaces so the data section is 8-byte aligned.
        int padded = (json.Length + 7) / 8 * 8;
        Span<byte> len8 = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len8, (ulong)padded);
        stream.Write(len8);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, t) in ordered)
        {
            if (t.numel() == 0) continue;
            using var scope = NewDisposeScope();
            stream.Write(t.detach().cpu().contiguous().bytes);
        }
    }
}
