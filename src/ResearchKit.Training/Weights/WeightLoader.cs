using ResearchKit.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Weights;

/// <summary>Options of <see cref="WeightLoader.Load"/>.</summary>
public sealed record WeightLoadOptions
{
    /// <summary>Source → module key mapping.</summary>
    public WeightKeyMap KeyMap { get; init; } = WeightKeyMap.Identity;

    /// <summary>Throw when a module key is missing or a source key is unexpected (shape mismatches always throw).</summary>
    public bool Strict { get; init; } = true;

    /// <summary>Receives one line per problem and a summary line; null logs nothing.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>What a load did.</summary>
/// <param name="Loaded">Module keys that received a value.</param>
/// <param name="Missing">Module keys without a source value (left unchanged).</param>
/// <param name="Unexpected">Mapped source keys the module does not have.</param>
/// <param name="Dropped">Source keys the key map dropped.</param>
/// <param name="Squeezed">Module keys whose source had leading singleton dims squeezed.</param>
public sealed record WeightLoadReport(
    IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> Dropped, IReadOnlyList<string> Squeezed)
{
    /// <summary>One-line summary.</summary>
    public override string ToString() =>
        $"loaded {Loaded.Count}, missing {Missing.Count}, unexpected {Unexpected.Count}, dropped {Dropped.Count}, squeezed {Squeezed.Count}";
}

/// <summary>Thrown when weights do not fit a module: a shape mismatch, or missing/unexpected keys under strict loading.</summary>
public sealed class WeightLoadException(string message) : InvalidOperationException(message);

/// <summary>
/// Copies a state dict (e.g. from <see cref="Safetensors.Read(string, Func{string, bool}?)"/>) into a module's
/// parameters and persistent buffers, timm-style: map keys, squeeze where allowed, check shapes, log missing and
/// unexpected keys. Values are converted to the module's dtype and device.
/// </summary>
public static class WeightLoader
{
    /// <summary>
    /// BatchNorm's <c>num_batches_tracked</c> counters are absent from older PyTorch files (e.g. torchvision's
    /// resnet50-19c8e357.pth); PyTorch tolerates that, so strict loading does too.
    /// </summary>
    public static bool IsBenignMissing(string key) => key.EndsWith("num_batches_tracked", StringComparison.Ordinal);

    /// <summary>Loads <paramref name="source"/> into <paramref name="module"/>.</summary>
    /// <exception cref="WeightLoadException">Shape mismatch, or (strict) missing or unexpected keys; names the keys.</exception>
    public static WeightLoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> source, WeightLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new WeightLoadOptions();
        using var scope = NewDisposeScope(); // disposes the reshaped/converted temporaries, never the module's tensors
        var targets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in module.named_parameters()) targets[name] = p;
        foreach (var (name, b) in module.named_buffers()) targets[name] = b;

        var mapped = new Dictionary<string, (string Source, Tensor Value)>(StringComparer.Ordinal);
        var dropped = new List<string>();
        foreach (var (key, value) in source)
        {
            var k = options.KeyMap.Map(key);
            if (k is null) { dropped.Add(key); continue; }
            if (!mapped.TryAdd(k, (key, value)))
                throw new WeightLoadException($"Source keys '{mapped[k].Source}' and '{key}' both map to '{k}'.");
        }

        var unexpected = mapped.Keys.Where(k => !targets.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var missing = targets.Keys.Where(k => !mapped.ContainsKey(k)).ToList();
        var mismatched = new List<string>();
        var squeezed = new List<string>();
        var plan = new List<(string Key, Tensor Target, Tensor Value)>();
        foreach (var (key, target) in targets)
        {
            if (!mapped.TryGetValue(key, out var src)) continue;
            var value = src.Value;
            if (!value.shape.SequenceEqual(target.shape))
            {
                var trimmed = value.shape.SkipWhile(d => d == 1).ToArray();
                if (options.KeyMap.SqueezeLeadingSingletons && value.shape.Length > target.shape.Length
                    && trimmed.Length <= target.shape.Length && value.numel() == target.numel()
                    && value.shape.Skip(value.shape.Length - target.shape.Length).SequenceEqual(target.shape))
                {
                    value = value.reshape(target.shape);
                    squeezed.Add(key);
                }
                else
                {
                    mismatched.Add($"{key}: module ({string.Join(", ", target.shape)}) vs '{src.Source}' ({string.Join(", ", value.shape)})");
                    continue;
                }
            }
            plan.Add((key, target, value));
        }

        var log = options.Log;
        foreach (var k in missing) log?.Invoke($"missing key: {k}");
        foreach (var k in unexpected) log?.Invoke($"unexpected key: {k}");
        if (mismatched.Count > 0)
            throw new WeightLoadException($"Shape mismatch for {mismatched.Count} key(s): {string.Join("; ", mismatched.Take(10))}");
        var hardMissing = missing.Where(k => !IsBenignMissing(k)).ToList();
        if (options.Strict && (hardMissing.Count > 0 || unexpected.Count > 0))
            throw new WeightLoadException(
                $"Strict load failed: {hardMissing.Count} missing ({string.Join(", ", hardMissing.Take(10))}), " +
                $"{unexpected.Count} unexpected ({string.Join(", ", unexpected.Take(10))}).");

        using (no_grad())
        {
            foreach (var (_, target, value) in plan)
                target.copy_(value.to(target.dtype, target.device));
        }
        // Buffers were written in place: modules with derived state (e.g. the CP queue statistics) rebuild it.
        foreach (var observer in module.modules().Prepend(module).OfType<IStateLoadObserver>())
            observer.OnStateLoaded();
        var loaded = plan.Select(p => p.Key).ToList();
        var report = new WeightLoadReport(loaded, missing, unexpected, dropped, squeezed);
        log?.Invoke($"weights: {report}");
        return report;
    }
}
