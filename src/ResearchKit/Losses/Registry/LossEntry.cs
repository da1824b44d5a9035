using ResearchKit.Similarity;

namespace ResearchKit.Losses;

/// <summary>
/// Marks a static <see cref="LossEntry"/> field or property that <see cref="LossRegistry.CreateDefault"/> collects, so a
/// loss registers itself from its own file (timm's <c>@register_model</c>): adding a loss edits no list anywhere.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class RegisteredLossAttribute : Attribute;

/// <summary>
/// The proxy head a loss expects. Null K or T means "the run's": the CP options' K and T under CP, otherwise the loss
/// section's K with T = 1 (T only matters for K &gt; 1).
/// </summary>
/// <param name="Init">How the proxies are initialised.</param>
/// <param name="ProxiesPerClass">K fixed by the loss (SoftTriple's centres), or null.</param>
/// <param name="Temperature">T fixed by the loss (SoftTriple's γ), or null.</param>
public sealed record ProxyHeadDefaults(ProxyInit Init = ProxyInit.KaimingNormalFanOut, int? ProxiesPerClass = null, double? Temperature = null);

/// <summary>
/// One registered class-similarity loss: its config name, options type and defaults, how to build it, the proxy head
/// and regulariser it expects, and whether the trainer must supply per-sample class confidences.
/// </summary>
public sealed class LossEntry
{
    private readonly Func<LossOptions, bool, IClassSimilarityLoss> build;
    private readonly Func<LossOptions, ProxyHeadDefaults> head;
    private readonly Func<LossOptions, IProxyRegularizer?> regularizer;

    private LossEntry(string name, string displayName, string? abbreviation, Type optionsType, LossOptions defaults,
        Func<LossOptions, bool, IClassSimilarityLoss> build, Func<LossOptions, ProxyHeadDefaults> head,
        Func<LossOptions, IProxyRegularizer?> regularizer, bool needsConfidences)
    {
        (Name, DisplayName, Abbreviation, OptionsType, DefaultOptions) = (name, displayName, abbreviation, optionsType, defaults);
        (this.build, this.head, this.regularizer, NeedsConfidences) = (build, head, regularizer, needsConfidences);
    }

    /// <summary>
    /// Declares a loss. <paramref name="build"/> gets the options and whether the loss runs inside the Calibrate Proxy
    /// structure (a loss may read its options differently there, e.g. Proxy-NCA's positive class, CP Eq. 8).
    /// </summary>
    /// <param name="name">The config's <c>kind</c> (camelCase, e.g. <c>proxyAnchor</c>).</param>
    /// <param name="displayName">Table row name (e.g. <c>Proxy Anchor</c>).</param>
    /// <param name="build">Builds the loss; throws <see cref="ArgumentException"/> naming a bad option.</param>
    /// <param name="head">The head the loss expects (default: Kaiming-normal proxies, the run's K and T).</param>
    /// <param name="regularizer">A proxy regulariser added to the loss (SoftTriple's τ term), or none.</param>
    /// <param name="needsConfidences">Whether training supplies per-sample class confidences (Smooth Proxy-Anchor).</param>
    /// <param name="abbreviation">Short name for CP rows (<c>CP+PA</c>); the display name when null.</param>
    /// <exception cref="ArgumentException">An empty name or display name.</exception>
    public static LossEntry Create<TOptions>(string name, string displayName, Func<TOptions, bool, IClassSimilarityLoss> build,
        Func<TOptions, ProxyHeadDefaults>? head = null, Func<TOptions, IProxyRegularizer?>? regularizer = null,
        bool needsConfidences = false, string? abbreviation = null)
        where TOptions : LossOptions, new()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        ArgumentNullException.ThrowIfNull(build);
        return new LossEntry(name, displayName, abbreviation, typeof(TOptions), new TOptions(),
            (o, cp) => build(Cast<TOptions>(o, name), cp),
            o => head?.Invoke(Cast<TOptions>(o, name)) ?? new ProxyHeadDefaults(),
            o => regularizer?.Invoke(Cast<TOptions>(o, name)),
            needsConfidences);
    }

    /// <summary>The config's <c>kind</c>.</summary>
    public string Name { get; }

    /// <summary>The loss's row name in tables (<c>Proxy Anchor</c>).</summary>
    public string DisplayName { get; }

    /// <summary>Short name for combined rows (<c>PA</c>), or null.</summary>
    public string? Abbreviation { get; }

    /// <summary>The name of the loss inside the Calibrate Proxy structure (<c>CP+PA</c>, <c>CP+SoftTriple</c>).</summary>
    public string CalibrateProxyName => "CP+" + (Abbreviation ?? DisplayName);

    /// <summary>The options record type (one type per entry).</summary>
    public Type OptionsType { get; }

    /// <summary>The options with every default (the paper's values).</summary>
    public LossOptions DefaultOptions { get; }

    /// <summary>Whether training supplies per-sample class confidences.</summary>
    public bool NeedsConfidences { get; }

    /// <summary>Builds the loss from <paramref name="options"/> (of <see cref="OptionsType"/>).</summary>
    /// <exception cref="ArgumentException">The options are of another loss, or out of range (named).</exception>
    public IClassSimilarityLoss Build(LossOptions options, bool calibrateProxy = false) => build(options, calibrateProxy);

    /// <summary>The head this loss expects with <paramref name="options"/>.</summary>
    public ProxyHeadDefaults Head(LossOptions options) => head(options);

    /// <summary>The proxy regulariser of this loss, or null.</summary>
    public IProxyRegularizer? Regularizer(LossOptions options) => regularizer(options);

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static TOptions Cast<TOptions>(LossOptions options, string name) where TOptions : LossOptions =>
        options as TOptions ?? throw new ArgumentException(
            $"expected {typeof(TOptions).Name} for the loss '{name}' but got {options?.GetType().Name ?? "null"}", nameof(options));
}
