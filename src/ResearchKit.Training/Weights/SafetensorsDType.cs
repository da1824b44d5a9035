using static TorchSharp.torch;

namespace ResearchKit.Training.Weights;

/// <summary>Maps safetensors dtype strings to TorchSharp scalar types and element sizes.</summary>
public static class SafetensorsDType
{
    private static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>The dtype strings this kit reads and writes.</summary>
    public static IReadOnlyList<string> Supported { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>Scalar type and element size for a safetensors dtype string, or false when unsupported.</summary>
    public static bool TryParse(string name, out ScalarType type, out int elementSize)
    {
        foreach (var t in Table)
            if (t.Name == name) { type = t.Type; elementSize = t.Size; return true; }
        type = default; elementSize = 0;
        return false;
    }

    /// <summary>The safetensors dtype string for a scalar type.</summary>
    /// <exception cref="ArgumentException">The type has no safetensors equivalent here.</exception>
    public static string NameOf(ScalarType type)
    {
        foreach (var t in Table)
            if (t.Type == type) return t.Name;
        throw new ArgumentException($"Scalar type {type} cannot be stored; supported: {string.Join(", ", Supported)}.", nameof(type));
    }
}
