using System.Security.Cryptography;
using ResearchKit.Training.Models;
using ResearchKit.Training.Runs;
using static TorchSharp.torch;

namespace ResearchKit.Training.Weights;

/// <summary>
/// Where the ImageNet ResNet-18 comes from: NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.24.0 (MIT, licence
/// acceptance required), which <c>dotnet restore</c> of the kit downloads into the NuGet packages folder
/// (a <c>PackageDownload</c> in ResearchKit.Training.csproj: no assembly reference, nothing copied to the output).
/// </summary>
public static class ResNet18Package
{
    /// <summary>Package id.</summary>
    public const string Id = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    /// <summary>Package version.</summary>
    public const string Version = "0.24.0";
    /// <summary>Environment variable that overrides the ONNX file's location.</summary>
    public const string OnnxPathVariable = "RESEARCHKIT_RESNET18_ONNX";

    /// <summary>Path of the network file inside the package.</summary>
    public static readonly string OnnxInPackage = Path.Combine("tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
    /// <summary>Path of the preprocessing model inside the package.</summary>
    public static readonly string PreprocessInPackage = Path.Combine("tools", "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>The restored package's folder: <c>$NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>, then id/version (lower case).</summary>
    public static string PackageFolder()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(root, Id.ToLowerInvariant(), Version);
    }

    /// <summary><c>ResNet18.onnx</c>: <see cref="OnnxPathVariable"/> when set, else the restored package's copy.</summary>
    public static string OnnxPath() =>
        Environment.GetEnvironmentVariable(OnnxPathVariable) is { Length: > 0 } p ? p : Path.Combine(PackageFolder(), OnnxInPackage);

    /// <summary><c>ResNetPreprocess.onnx</c> of the restored package (next to the network file when that is overridden).</summary>
    public static string PreprocessPath() =>
        Environment.GetEnvironmentVariable(OnnxPathVariable) is { Length: > 0 } p
            ? Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(p)))!, "ResNetPrepOnnx", "ResNetPreprocess.onnx")
            : Path.Combine(PackageFolder(), PreprocessInPackage);

    /// <summary>How to obtain the file, for error messages.</summary>
    public static string Fix =>
        $"run `dotnet restore` on the kit (ResearchKit.Training downloads NuGet {Id} {Version}, MIT) or set {OnnxPathVariable} to a copy of ResNet18.onnx from that package";
}

/// <summary>
/// Converts the package's <c>ResNet18.onnx</c> (CNTK 2.6 export, BN not folded) into a safetensors state dict with
/// <see cref="ResNet18Cntk"/>'s torchvision-style names. Initializer names in the file are opaque (<c>Parameter91</c>), so
/// the map comes from the graph: each Conv is paired with the BatchNormalization that reads its output; the 7×7 conv is
/// the stem, the 3×3 convs in graph (topological) order are the blocks' conv1, conv2, and the 1×1 convs in order are the
/// stride-2 blocks' shortcuts. BN inputs (scale, B, mean, var) become weight, bias, running_mean, running_var.
/// The output is deterministic: same file in, same bytes out.
/// </summary>
public static class ResNet18OnnxConverter
{
    /// <summary>BatchNorm epsilon of every BN node in the file (checked on conversion); the module's default.</summary>
    public const double BatchNormEpsilon = 1e-5;

    /// <summary>The state dict of <paramref name="graph"/> (caller disposes the tensors).</summary>
    /// <exception cref="InvalidDataException">The graph is not the expected ResNet-18 (names <paramref name="source"/>).</exception>
    public static Dictionary<string, Tensor> StateDict(OnnxGraph graph, string source)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var byInput = graph.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Inputs.Count == 5)
            .GroupBy(n => n.Inputs[0]).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var stem = new List<(OnnxNode Conv, OnnxNode Bn)>();
        var mains = new List<(OnnxNode Conv, OnnxNode Bn)>();
        var shortcuts = new List<(OnnxNode Conv, OnnxNode Bn)>();
        foreach (var conv in graph.Nodes.Where(n => n.OpType == "Conv"))
        {
            if (conv.Inputs.Count != 2 || !byInput.TryGetValue(conv.Outputs[0], out var bn))
                throw Bad(source, $"Conv '{conv.Name}' has a bias or no BatchNormalization after it");
            var k = conv.Attributes.TryGetValue("kernel_shape", out var a) ? a.Ints : [];
            var list = k.Count == 2 && k[0] == k[1] ? k[0] switch { 7 => stem, 3 => mains, 1 => shortcuts, _ => null } : null;
            (list ?? throw Bad(source, $"Conv '{conv.Name}' has kernel [{string.Join(", ", k)}]")).Add((conv, bn));
        }
        var names = LayerNames();
        if (stem.Count != 1 || mains.Count != names.Mains.Count || shortcuts.Count != names.Shortcuts.Count)
            throw Bad(source, $"found {stem.Count} stem, {mains.Count} 3x3 and {shortcuts.Count} 1x1 convs; ResNet-18 [2, 2, 2, 3] has 1, {names.Mains.Count}, {names.Shortcuts.Count}");

        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            Add(state, graph, source, "conv1", "bn1", stem[0]);
            for (int i = 0; i < mains.Count; i++) Add(state, graph, source, names.Mains[i].Conv, names.Mains[i].Bn, mains[i]);
            for (int i = 0; i < shortcuts.Count; i++) Add(state, graph, source, names.Shortcuts[i].Conv, names.Shortcuts[i].Bn, shortcuts[i]);
            return state;
        }
        catch
        {
            foreach (var t in state.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads <paramref name="onnxPath"/> and writes the converted weights to <paramref name="safetensorsPath"/> (atomically).
    /// </summary>
    /// <exception cref="FileNotFoundException">The ONNX file is missing; the message says how to get it.</exception>
    /// <exception cref="InvalidDataException">The ONNX file is unreadable or not this network; the message names it and the fix.</exception>
    public static void ConvertFile(string onnxPath, string safetensorsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        if (!File.Exists(onnxPath))
            throw new FileNotFoundException($"ResNet-18 ONNX file '{onnxPath}' not found: {ResNet18Package.Fix}.", onnxPath);
        OnnxGraph graph;
        try { graph = OnnxGraph.Read(onnxPath); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{e.Message} Restore a clean copy: {ResNet18Package.Fix}.", e); }
        var state = StateDict(graph, onnxPath);
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(safetensorsPath))!;
            Directory.CreateDirectory(dir);
            var metadata = new Dictionary<string, string>
            {
                ["source"] = $"NuGet {ResNet18Package.Id} {ResNet18Package.Version}, ResNet18.onnx ({graph.Producer})",
                ["source_sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(onnxPath))),
                ["licence"] = "MIT",
            };
            AtomicFile.Write(safetensorsPath, s => Safetensors.Write(s, state, metadata));
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The converted weights at <paramref name="safetensorsPath"/>, converting from <see cref="ResNet18Package.OnnxPath"/>
    /// first when the file is missing (set-up at first use).
    /// </summary>
    public static void EnsureConverted(string safetensorsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        if (!File.Exists(safetensorsPath)) ConvertFile(ResNet18Package.OnnxPath(), safetensorsPath);
    }

    private static void Add(Dictionary<string, Tensor> state, OnnxGraph graph, string source, string conv, string bn, (OnnxNode Conv, OnnxNode Bn) pair)
    {
        if (pair.Bn.Attributes.TryGetValue("epsilon", out var eps) && eps.Floats.Count == 1 && Math.Abs(eps.Floats[0] - BatchNormEpsilon) > 1e-9)
            throw Bad(source, $"BatchNormalization '{pair.Bn.Name}' has epsilon {eps.Floats[0]}, the module uses {BatchNormEpsilon}");
        state[conv + ".weight"] = Init(graph, source, pair.Conv.Inputs[1]);
        string[] suffixes = ["weight", "bias", "running_mean", "running_var"];
        for (int i = 0; i < 4; i++) state[$"{bn}.{suffixes[i]}"] = Init(graph, source, pair.Bn.Inputs[i + 1]);
    }

    private static Tensor Init(OnnxGraph graph, string source, string name) =>
        graph.Initializers.TryGetValue(name, out var t) ? tensor(t.Values, t.Shape) : throw Bad(source, $"initializer '{name}' is missing");

    // The module's conv/BN names in forward order: 3x3 convs block by block, then the stride-2 blocks' shortcuts.
    private static (List<(string Conv, string Bn)> Mains, List<(string Conv, string Bn)> Shortcuts) LayerNames()
    {
        var mains = new List<(string, string)>();
        var shortcuts = new List<(string, string)>();
        for (int stage = 0; stage < ResNet18Cntk.StageBlocks.Count; stage++)
            for (int block = 0; block < ResNet18Cntk.StageBlocks[stage]; block++)
            {
                var p = $"layer{stage + 1}.{block}";
                mains.Add(($"{p}.conv1", $"{p}.bn1"));
                mains.Add(($"{p}.conv2", $"{p}.bn2"));
                if (stage > 0 && block == 0) shortcuts.Add(($"{p}.downsample.0", $"{p}.downsample.1"));
            }
        return (mains, shortcuts);
    }

    private static InvalidDataException Bad(string source, string what) =>
        new($"'{source}' is not the CNTK ResNet-18 of {ResNet18Package.Id} {ResNet18Package.Version}: {what}. Restore a clean copy: {ResNet18Package.Fix}.");
}
