using System.Buffers.Binary;
using System.Text;
using ResearchKit.Training.Weights;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Weights;

public class SafetensorsTests
{
    /// <summary>Builds a safetensors file by hand: header length, JSON header, raw little-endian bytes.</summary>
    private static byte[] Handmade(string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static byte[] Sample(out string header)
    {
        var data = new List<byte>();
        foreach (var f in new[] { 1.5f, -2f, 0.25f, 1e6f }) data.AddRange(BitConverter.GetBytes(f));            // F32 [2,2] @0..16
        foreach (var h in new[] { (Half)0.5, (Half)(-3.0), (Half)1024 })                                       // F16 [3]   @16..22
            data.AddRange(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits(h)));
        foreach (var b in new[] { 1.0f, -0.15625f })                                                            // BF16 [2]  @22..26
            data.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(b) >> 16)));
        foreach (var l in new[] { 7L, -9_000_000_000L }) data.AddRange(BitConverter.GetBytes(l));               // I64 [2]   @26..42
        header = """
            {"__metadata__":{"format":"pt"},
             "w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},
             "h":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},
             "b":{"dtype":"BF16","shape":[2],"data_offsets":[22,26]},
             "n":{"dtype":"I64","shape":[2],"data_offsets":[26,42]},
             "e":{"dtype":"F32","shape":[0,3],"data_offsets":[42,42]}}
            """;
        return data.ToArray();
    }

    [Fact]
    public void Reads_a_handmade_file_with_F32_F16_BF16_I64()
    {
        using var dir = new TempDir();
        var path = dir.File("hand.safetensors");
        File.WriteAllBytes(path, Handmade(HeaderOf(out var data), data));
        var t = Safetensors.Read(path);
        Assert.Equal(5, t.Count);
        Assert.Equal(new long[] { 2, 2 }, t["w"].shape);
        Assert.Equal(new[] { 1.5f, -2f, 0.25f, 1e6f }, t["w"].data<float>().ToArray());
        Assert.Equal(ScalarType.Float16, t["h"].dtype);
        Assert.Equal(new[] { 0.5f, -3f, 1024f }, t["h"].to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(ScalarType.BFloat16, t["b"].dtype);
        Assert.Equal(new[] { 1.0f, -0.15625f }, t["b"].to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new[] { 7L, -9_000_000_000L }, t["n"].data<long>().ToArray());
        Assert.Equal(new long[] { 0, 3 }, t["e"].shape);
    }

    [Fact]
    public void Writer_round_trips_names_dtypes_and_values()
    {
        using var dir = new TempDir();
        var path = dir.File("rt.safetensors");
        var src = new Dictionary<string, Tensor>
        {
            ["a.weight"] = randn(3, 4), ["a.bias"] = randn(4, dtype: ScalarType.Float64),
            ["count"] = tensor(5L), ["half"] = randn(2, 2).to(ScalarType.Float16), ["mask"] = tensor(new[] { true, false }),
            ["bytes"] = tensor(new byte[] { 0, 255 }), ["bf"] = randn(5).to(ScalarType.BFloat16),
        };
        Safetensors.Write(path, src, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(0, (new FileInfo(path).Length - 8 - Safetensors.ReadHeader(path).Max(e => e.End)) % 8);
        var back = Safetensors.Read(path);
        Assert.Equal(src.Keys.OrderBy(k => k), back.Keys.OrderBy(k => k));
        foreach (var (k, v) in src)
        {
            Assert.Equal(v.dtype, back[k].dtype);
            Assert.Equal(v.shape, back[k].shape);
            Assert.True(v.eq(back[k]).all().item<bool>(), k);
        }
    }

    [Fact]
    public void Truncated_file_is_rejected_with_its_name()
    {
        using var dir = new TempDir();
        var path = dir.File("cut.safetensors");
        var full = Handmade(HeaderOf(out var data), data);
        File.WriteAllBytes(path, full[..^5]);
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Theory]
    [InlineData("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", "needs 8")]
    [InlineData("""{"x":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", "unsupported dtype")]
    [InlineData("""{"x":{"dtype":"F32","shape":[1]}}""", "data_offsets")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"x":""", "not valid JSON")]
    public void Malformed_headers_are_rejected(string header, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, Handmade(header, new byte[8]));
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Read(path));
        Assert.Contains(expected, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected()
    {
        using var dir = new TempDir();
        var path = dir.File("len.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("exceeds", Assert.Throws<InvalidDataException>(() => Safetensors.Read(path)).Message);
        File.WriteAllBytes(path, new byte[3]);
        Assert.Contains("shorter", Assert.Throws<InvalidDataException>(() => Safetensors.Read(path)).Message);
    }

    private static string HeaderOf(out byte[] data)
    {
        data = Sample(out var header);
        return header;
    }
}
