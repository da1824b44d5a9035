using Google.Protobuf;

namespace ResearchKit.Training.Weights;

/// <summary>A float tensor stored in an ONNX file (an initializer or a constant attribute).</summary>
/// <param name="Name">Initializer name.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Values">Values, row-major.</param>
public sealed record OnnxTensor(string Name, long[] Shape, float[] Values);

/// <summary>One attribute of an ONNX node: a number, a list of numbers, a string or a tensor.</summary>
/// <param name="Name">Attribute name (<c>strides</c>, <c>pads</c>, <c>epsilon</c>, …).</param>
/// <param name="Ints">Integer value(s) (<c>i</c> or <c>ints</c>).</param>
/// <param name="Floats">Float value(s) (<c>f</c> or <c>floats</c>).</param>
/// <param name="Text">String value (<c>s</c>), or null.</param>
/// <param name="Tensor">Tensor value (<c>t</c>), or null.</param>
public sealed record OnnxAttribute(string Name, IReadOnlyList<long> Ints, IReadOnlyList<float> Floats, string? Text, OnnxTensor? Tensor);

/// <summary>One node of an ONNX graph, in the file's (topological) order.</summary>
/// <param name="OpType">Operator (<c>Conv</c>, <c>BatchNormalization</c>, …).</param>
/// <param name="Name">Node name (may be empty).</param>
/// <param name="Inputs">Input value names.</param>
/// <param name="Outputs">Output value names.</param>
/// <param name="Attributes">Attributes by name.</param>
public sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes);

/// <summary>
/// The parts of an ONNX model the kit needs to convert weights: the graph's nodes in order and its float initializers.
/// A minimal reader of the protobuf wire format (onnx.proto field numbers) on Google.Protobuf's
/// <see cref="CodedInputStream"/>, which TorchSharp already brings in, so no ONNX package is needed at run time.
/// Only float32 tensors (<c>float_data</c> or <c>raw_data</c>) are decoded; other fields are skipped.
/// </summary>
public sealed class OnnxGraph
{
    private OnnxGraph(string producer, long irVersion, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxTensor> initializers,
        IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
    {
        (Producer, IrVersion, Nodes, Initializers, Inputs, Outputs) = (producer, irVersion, nodes, initializers, inputs, outputs);
    }

    /// <summary>Producer name and version (e.g. <c>CNTK 2.6</c>).</summary>
    public string Producer { get; }
    /// <summary>ONNX IR version.</summary>
    public long IrVersion { get; }
    /// <summary>Nodes in file order (ONNX requires topological order).</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }
    /// <summary>Float initializers by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }
    /// <summary>Graph input names (initializers included, as older exporters list them).</summary>
    public IReadOnlyList<string> Inputs { get; }
    /// <summary>Graph output names.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Reads an ONNX model file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model; the message names the file.</exception>
    public static OnnxGraph Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX file '{path}' not found.", path);
        try
        {
            var graph = Parse(File.ReadAllBytes(path));
            if (graph.Nodes.Count == 0) throw new InvalidDataException("it has no graph nodes");
            return graph;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException or InvalidOperationException or OverflowException)
        {
            throw new InvalidDataException($"'{path}' is not a readable ONNX model ({e.Message}).", e);
        }
    }

    private static OnnxGraph Parse(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        string producer = "", version = "";
        long ir = 0;
        OnnxGraph? graph = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsVarint(tag): ir = input.ReadInt64(); break;
                case 2 when IsBytes(tag): producer = input.ReadString(); break;
                case 3 when IsBytes(tag): version = input.ReadString(); break;
                case 7 when IsBytes(tag): graph = ParseGraph(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }
        if (graph is null) throw new InvalidDataException("it has no graph");
        return new OnnxGraph($"{producer} {version}".Trim(), ir, graph.Nodes, graph.Initializers, graph.Inputs, graph.Outputs);
    }

    private static OnnxGraph ParseGraph(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var nodes = new List<OnnxNode>();
        var inits = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag): nodes.Add(ParseNode(input.ReadBytes())); break;
                case 5 when IsBytes(tag):
                    var t = ParseTensor(input.ReadBytes());
                    if (t is not null) inits[t.Name] = t;
                    break;
                case 11 when IsBytes(tag): inputs.Add(ValueInfoName(input.ReadBytes())); break;
                case 12 when IsBytes(tag): outputs.Add(ValueInfoName(input.ReadBytes())); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxGraph("", 0, nodes, inits, inputs, outputs);
    }

    private static OnnxNode ParseNode(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var ins = new List<string>();
        var outs = new List<string>();
        var attrs = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", op = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag): ins.Add(input.ReadString()); break;
                case 2 when IsBytes(tag): outs.Add(input.ReadString()); break;
                case 3 when IsBytes(tag): name = input.ReadString(); break;
                case 4 when IsBytes(tag): op = input.ReadString(); break;
                case 5 when IsBytes(tag):
                    var a = ParseAttribute(input.ReadBytes());
                    attrs[a.Name] = a;
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxNode(op, name, ins, outs, attrs);
    }

    private static OnnxAttribute ParseAttribute(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string name = "";
        string? text = null;
        OnnxTensor? tensor = null;
        var ints = new List<long>();
        var floats = new List<float>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag): name = input.ReadString(); break;
                case 2 when IsFixed32(tag): floats.Add(input.ReadFloat()); break;
                case 3 when IsVarint(tag): ints.Add(input.ReadInt64()); break;
                case 4 when IsBytes(tag): text = input.ReadBytes().ToStringUtf8(); break;
                case 5 when IsBytes(tag): tensor = ParseTensor(input.ReadBytes()); break;
                case 7: ReadFloats(input, tag, floats); break;
                case 8: ReadInt64s(input, tag, ints); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxAttribute(name, ints, floats, text, tensor);
    }

    // onnx.proto TensorProto: dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9. Only FLOAT (1) is decoded.
    private static OnnxTensor? ParseTensor(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var dims = new List<long>();
        var floats = new List<float>();
        ByteString? raw = null;
        int dataType = 0;
        string name = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadInt64s(input, tag, dims); break;
                case 2 when IsVarint(tag): dataType = input.ReadInt32(); break;
                case 4: ReadFloats(input, tag, floats); break;
                case 8 when IsBytes(tag): name = input.ReadString(); break;
                case 9 when IsBytes(tag): raw = input.ReadBytes(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (dataType != 1) return null;
        long count = dims.Aggregate(1L, (a, d) => checked(a * d));
        float[] values = raw is { Length: > 0 } ? FloatsOf(raw.Span) : floats.ToArray();
        if (values.LongLength != count)
            throw new InvalidDataException($"tensor '{name}' has {values.LongLength} values for shape [{string.Join(", ", dims)}]");
        return new OnnxTensor(name, dims.ToArray(), values);
    }

    private static string ValueInfoName(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1 && IsBytes(tag)) return input.ReadString();
            input.SkipLastField();
        }
        return "";
    }

    // Repeated scalars come packed (one length-delimited run) or one per tag; readers must accept both (protobuf spec).
    private static void ReadFloats(CodedInputStream input, uint tag, List<float> into)
    {
        if (IsBytes(tag)) into.AddRange(FloatsOf(input.ReadBytes().Span));
        else if (IsFixed32(tag)) into.Add(input.ReadFloat());
        else input.SkipLastField();
    }

    private static void ReadInt64s(CodedInputStream input, uint tag, List<long> into)
    {
        if (IsBytes(tag))
        {
            var packed = input.ReadBytes().CreateCodedInput();
            while (!packed.IsAtEnd) into.Add(packed.ReadInt64());
        }
        else if (IsVarint(tag)) into.Add(input.ReadInt64());
        else input.SkipLastField();
    }

    private static float[] FloatsOf(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 4 != 0) throw new InvalidDataException($"float data of {bytes.Length} bytes is not a multiple of 4");
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i, 4));
        return values;
    }

    private static bool IsVarint(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint;
    private static bool IsFixed32(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed32;
    private static bool IsBytes(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
}
