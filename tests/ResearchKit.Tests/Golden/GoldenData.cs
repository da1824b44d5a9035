using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Golden;

/// <summary>Locates and parses the golden reference files (schema in ../shared/golden/README.md).</summary>
public static class GoldenData
{
    /// <summary>The copy of the golden files that ships with the tests.</summary>
    public static string LocalDirectory => Path.Combine(AppContext.BaseDirectory, "golden");

    /// <summary>The repository root (the folder holding ResearchKit.sln), found by walking up from the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ResearchKit.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("ResearchKit.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>../shared/golden beside the checkout, when it exists.</summary>
    public static string? SharedDirectory
    {
        get
        {
            var shared = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "golden"));
            return Directory.Exists(shared) ? shared : null;
        }
    }

    private static readonly Dictionary<string, GoldenFile> Cache = new();

    /// <summary>Loads (once) a golden file by name, e.g. <c>proxy_anchor_loss.json</c>.</summary>
    public static GoldenFile Load(string fileName)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(fileName, out var file))
            {
                var path = Path.Combine(LocalDirectory, fileName);
                file = new GoldenFile(JsonDocument.Parse(File.ReadAllBytes(path)));
                Cache[fileName] = file;
            }
            return file;
        }
    }

    /// <summary>Case names of a file, for xunit <c>MemberData</c>.</summary>
    public static TheoryData<string> CaseNames(string fileName)
    {
        var data = new TheoryData<string>();
        foreach (var c in Load(fileName).Cases) data.Add(c.Name);
        return data;
    }

    /// <summary>Case names crossed with float64 and float32.</summary>
    public static TheoryData<string, string> CaseNamesByDtype(string fileName)
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Load(fileName).Cases)
        {
            data.Add(c.Name, "float64");
            data.Add(c.Name, "float32");
        }
        return data;
    }

    /// <summary>Parses "float64"/"float32".</summary>
    public static ScalarType ParseDtype(string dtype) => dtype switch
    {
        "float64" => ScalarType.Float64,
        "float32" => ScalarType.Float32,
        _ => throw new ArgumentException($"unknown dtype '{dtype}'", nameof(dtype)),
    };
}

/// <summary>One parsed golden file.</summary>
public sealed class GoldenFile
{
    internal GoldenFile(JsonDocument doc)
    {
        Root = doc.RootElement;
        Family = Root.GetProperty("family").GetString()!;
        Cases = Root.GetProperty("cases").EnumerateArray().Select(c => new GoldenCase(c)).ToList();
    }

    /// <summary>The whole document.</summary>
    public JsonElement Root { get; }
    /// <summary>The family name.</summary>
    public string Family { get; }
    /// <summary>All cases in file order.</summary>
    public IReadOnlyList<GoldenCase> Cases { get; }

    /// <summary>The case with this name.</summary>
    public GoldenCase Case(string name) => Cases.Single(c => c.Name == name);
}

/// <summary>One golden case: hyperparameters, inputs, expected values.</summary>
public sealed class GoldenCase(JsonElement element)
{
    public JsonElement Element { get; } = element;
    public string Name => Element.GetProperty("name").GetString()!;
    public JsonElement Hyper => Element.GetProperty("hyperparameters");
    public JsonElement Inputs => Element.GetProperty("inputs");
    public JsonElement Expected => Element.GetProperty("expected");

    public double HDouble(string name) => Hyper.GetProperty(name).GetDouble();
    public int HInt(string name) => Hyper.GetProperty(name).GetInt32();
    public string HString(string name) => Hyper.GetProperty(name).GetString()!;
    public bool HBool(string name) => Hyper.GetProperty(name).GetBoolean();
    public bool HasHyper(string name) => Hyper.TryGetProperty(name, out _);
}

/// <summary>JSON → arrays and tensors.</summary>
public static class GoldenJson
{
    /// <summary>Flattens a nested numeric JSON array (any rank) and returns its shape.</summary>
    public static (double[] Values, long[] Shape) Flatten(JsonElement e)
    {
        var shape = new List<long>();
        var probe = e;
        while (probe.ValueKind == JsonValueKind.Array)
        {
            shape.Add(probe.GetArrayLength());
            if (probe.GetArrayLength() == 0) break;
            probe = probe[0];
        }
        var values = new List<double>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var y in x.EnumerateArray()) Walk(y);
            else if (x.ValueKind == JsonValueKind.True) values.Add(1);
            else if (x.ValueKind == JsonValueKind.False) values.Add(0);
            else values.Add(x.GetDouble());
        }
        Walk(e);
        return (values.ToArray(), shape.ToArray());
    }

    /// <summary>A float tensor of the given dtype from a nested JSON array or scalar.</summary>
    public static Tensor Tensor(JsonElement e, ScalarType dtype)
    {
        var (values, shape) = Flatten(e);
        return torch.tensor(values, shape, ScalarType.Float64).to_type(dtype);
    }

    /// <summary>An int64 tensor from a JSON integer array.</summary>
    public static Tensor Labels(JsonElement e) =>
        torch.tensor(e.EnumerateArray().Select(x => x.GetInt64()).ToArray(), ScalarType.Int64);

    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
    public static double[] Doubles(JsonElement e) => Flatten(e).Values;
    public static bool[] Bools(JsonElement e) => e.EnumerateArray().Select(x => x.GetBoolean()).ToArray();
}

/// <summary>Comparisons with the tolerances of ../shared/golden/README.md ("Comparing").</summary>
public static class GoldenAssert
{
    /// <summary>rtol and atol_rel for arrays: float64 1e-6/1e-9, float32 1e-4/1e-5.</summary>
    public static (double Rtol, double AtolRel) ArrayTolerance(ScalarType dtype) =>
        dtype == ScalarType.Float64 ? (1e-6, 1e-9) : (1e-4, 1e-5);

    /// <summary>
    /// Elementwise |actual − expected| ≤ rtol·|expected| + atol_rel·max|expected|, with shapes equal.
    /// </summary>
    public static void Close(Tensor actual, JsonElement expected, ScalarType dtype, string what)
    {
        var (rtol, atolRel) = ArrayTolerance(dtype);
        Close(actual, expected, rtol, atolRel, what);
    }

    /// <summary>As <see cref="Close(Tensor, JsonElement, ScalarType, string)"/> with explicit tolerances.</summary>
    public static void Close(Tensor actual, JsonElement expected, double rtol, double atolRel, string what) =>
        Close(actual, expected, rtol, atolRel, 0.0, what);

    /// <summary>
    /// Per-class log-terms log(1 + Σ e^z): the float64 reference evaluates them with logsumexp, which rounds 1 + tiny at
    /// 2.2e-16 absolute, so terms near 1e-12 carry a 1e-5 relative error there. Compared with the dtype's tolerance plus
    /// an absolute floor of 2 ulp of 1.0 (4.5e-16).
    /// </summary>
    public static void CloseLogTerms(Tensor actual, JsonElement expected, ScalarType dtype, string what)
    {
        var (rtol, atolRel) = ArrayTolerance(dtype);
        Close(actual, expected, rtol, atolRel, 4.5e-16, what);
    }

    /// <summary>As <see cref="Close(Tensor, JsonElement, double, double, string)"/> plus an absolute floor <paramref name="atolAbs"/>.</summary>
    public static void Close(Tensor actual, JsonElement expected, double rtol, double atolRel, double atolAbs, string what)
    {
        var (exp, shape) = GoldenJson.Flatten(expected);
        var act = actual.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        var actShape = actual.shape;
        Assert.True(shape.SequenceEqual(actShape) || (shape.Length == 0 && act.Length == 1),
            $"{what}: shape [{string.Join(",", actShape)}] but expected [{string.Join(",", shape)}]");
        Assert.Equal(exp.Length, act.Length);
        double maxAbs = exp.Length == 0 ? 0 : exp.Max(Math.Abs);
        for (int i = 0; i < exp.Length; i++)
        {
            double tol = rtol * Math.Abs(exp[i]) + atolRel * maxAbs + atolAbs;
            Assert.True(double.IsFinite(act[i]) && Math.Abs(act[i] - exp[i]) <= tol,
                $"{what}[{i}]: got {act[i]:R}, expected {exp[i]:R} (|diff| {Math.Abs(act[i] - exp[i]):E3} > tol {tol:E3})");
        }
    }

    /// <summary>Integer or boolean values that must match exactly (labels, counts, heads, masks, divisors).</summary>
    public static void Exact(Tensor actual, JsonElement expected, string what)
    {
        var (exp, shape) = GoldenJson.Flatten(expected);
        var act = actual.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        Assert.True(shape.SequenceEqual(actual.shape) || (shape.Length == 0 && act.Length == 1),
            $"{what}: shape [{string.Join(",", actual.shape)}] but expected [{string.Join(",", shape)}]");
        Assert.True(exp.SequenceEqual(act), $"{what}: got [{string.Join(",", act)}], expected [{string.Join(",", exp)}]");
    }

    /// <summary>A bool mask against a JSON list of the indices where it is true.</summary>
    public static void IndicesOf(Tensor mask, JsonElement expectedIndices, string what)
    {
        var act = mask.cpu().nonzero().squeeze(1).data<long>().ToArray();
        var exp = GoldenJson.Longs(expectedIndices);
        Assert.True(exp.SequenceEqual(act), $"{what}: got [{string.Join(",", act)}], expected [{string.Join(",", exp)}]");
    }

    /// <summary>A scalar loss: rtol 1e-6 (float64) or 1e-5 (float32).</summary>
    public static void Scalar(double actual, double expected, ScalarType dtype, string what)
    {
        double rtol = dtype == ScalarType.Float64 ? 1e-6 : 1e-5;
        // Values near zero (e.g. 5e-4 CE terms) get the float32 array floor relative to 1.
        double tol = rtol * Math.Abs(expected) + (dtype == ScalarType.Float64 ? 1e-12 : 1e-7);
        Assert.True(double.IsFinite(actual) && Math.Abs(actual - expected) <= tol,
            $"{what}: got {actual:R}, expected {expected:R} (|diff| {Math.Abs(actual - expected):E3} > tol {tol:E3})");
    }
}
