using System.Text.Json.Serialization;
using ResearchKit.Losses;

namespace ResearchKit.Training.Config;

/// <summary>
/// The loss section of <see cref="TrainingConfig"/>: the chosen base loss with its options only (any loss of
/// <see cref="LossRegistry.Default"/>), whether the Calibrate Proxy structure wraps it (with <see cref="CalibrateProxyOptions"/>:
/// λ, start epoch, queue per class M, proxies per class K, temperature T and the switches of losses.md §5.14), and the
/// confidence module for a loss that takes confidences. Table I's variants are <c>CalibrateProxy = false</c> (s^p only),
/// <c>true</c> with <c>Lambda = 0</c> (s^p + s^g) and <c>true</c> with λ = 1.
/// In JSON the loss's options sit beside the section's fields, named by <c>kind</c> (<see cref="LossConfigJsonConverter"/>):
/// <c>{"kind": "proxyAnchor", "alpha": 32, "margin": 0.1, "calibrateProxy": true, "cp": {…}}</c>.
/// </summary>
public sealed record LossConfig
{
    private static readonly ConfidenceModuleConfig DefaultConfidence = new();

    /// <summary>The base loss's options; their type names the loss in <see cref="LossRegistry.Default"/> (Proxy Anchor's
    /// α = 32, δ = 0.1 by default).</summary>
    [JsonIgnore]
    public LossOptions Base { get; init; } = new ProxyAnchorOptions();

    /// <summary>Wrap the base loss in the Calibrate Proxy objective (queue, s^g, L_cal).</summary>
    public bool CalibrateProxy { get; init; } = true;

    /// <summary>Proxies per class K for the plain base loss (CP uses <see cref="CalibrateProxyOptions.ProxiesPerClass"/>; a
    /// loss that fixes its own K, like SoftTriple's centres, overrides both).</summary>
    public int ProxiesPerClass { get; init; } = 1;

    /// <summary>CP settings (the paper's defaults: λ = 1, start epoch 12, M = 30, K = 3, T = 1).</summary>
    public CalibrateProxyOptions Cp { get; init; } = new();

    /// <summary>The confidence module of a loss that takes confidences (<see cref="LossEntry.NeedsConfidences"/>); null
    /// means its defaults. Rejected for any other loss.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ConfidenceModuleConfig? Confidence { get; init; }

    /// <summary>The base loss's registry entry.</summary>
    /// <exception cref="ArgumentException">No registered loss takes <see cref="Base"/>'s options type.</exception>
    [JsonIgnore]
    public LossEntry Entry => LossRegistry.Default.For(Base);

    /// <summary>The base loss's name (the JSON <c>kind</c>).</summary>
    [JsonIgnore]
    public string Kind => Entry.Name;

    /// <summary>The confidence module settings in effect (<see cref="Confidence"/> or the defaults).</summary>
    [JsonIgnore]
    public ConfidenceModuleConfig ConfidenceModule => Confidence ?? DefaultConfidence;

    /// <summary>A short label such as <c>cp+proxy-anchor</c>.</summary>
    public string Label() => (CalibrateProxy ? "cp+" : "") + string.Concat(Kind.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>Checks ranges (building the loss checks its options); throws naming the first bad field.</summary>
    /// <exception cref="ArgumentException">A field is out of range or missing, or a section belongs to another loss.</exception>
    public LossConfig Validate()
    {
        if (Base is null) throw new ArgumentException($"Loss.Base must be set; expected the options of one of {string.Join(", ", LossRegistry.Default.Names)}.", nameof(Base));
        var entry = Entry;
        if (ProxiesPerClass < 1) throw new ArgumentException($"Loss.ProxiesPerClass must be >= 1; got {ProxiesPerClass}.", nameof(ProxiesPerClass));
        if (Cp is null) throw new ArgumentException("Loss.Cp must not be null.", nameof(Cp));
        Rethrow("Loss.Cp", () => Cp.Validate());
        Rethrow($"Loss ({entry.Name})", () => entry.Build(Base, CalibrateProxy));
        if (Confidence is not null && !entry.NeedsConfidences)
            throw new ArgumentException($"Loss.Confidence configures the confidence module of a loss that takes confidences " +
                $"({string.Join(", ", LossRegistry.Default.Entries.Where(e => e.NeedsConfidences).Select(e => e.Name))}); " +
                $"the loss '{entry.Name}' takes none: remove it.", nameof(Confidence));
        ConfidenceModule.Validate();
        return this;
    }

    // The core names the bad option (ParamName); the config's message adds where it sits.
    private static void Rethrow(string where, Action check)
    {
        try { check(); }
        catch (ArgumentException e) { throw new ArgumentException($"{where}.{e.ParamName}: {e.Message}", e.ParamName, e); }
    }
}
