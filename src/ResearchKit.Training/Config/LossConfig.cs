using ResearchKit.Losses;

namespace ResearchKit.Training.Config;

/// <summary>The class-similarity loss L_cp is built on (CP's "any proxy loss plugs in").</summary>
public enum BaseLossKind
{
    /// <summary>Proxy Anchor (α, δ).</summary>
    ProxyAnchor,
    /// <summary>Proxy-NCA (scale, include-positive).</summary>
    ProxyNca,
    /// <summary>SoftTriple (λ, γ, margin, τ regulariser, K centres).</summary>
    SoftTriple,
    /// <summary>Smooth Proxy Anchor (Table V's row): confidences from the confidence module of <see cref="LossConfig.Confidence"/>.</summary>
    SmoothProxyAnchor,
}

/// <summary>
/// Typed, JSON-serialisable loss section of <see cref="TrainingConfig"/>: the base loss and its parameters, and whether the
/// Calibrate Proxy structure wraps it (with <see cref="CalibrateProxyOptions"/>: λ, start epoch, queue per class M,
/// proxies per class K, temperature T and the switches of losses.md §5.14). Table I's variants are
/// <c>CalibrateProxy = false</c> (s^p only), <c>true</c> with <c>Lambda = 0</c> (s^p + s^g) and <c>true</c> with λ = 1.
/// </summary>
public sealed record LossConfig
{
    /// <summary>Base loss.</summary>
    public BaseLossKind Base { get; init; } = BaseLossKind.ProxyAnchor;

    /// <summary>Wrap the base loss in the Calibrate Proxy objective (queue, s^g, L_cal).</summary>
    public bool CalibrateProxy { get; init; } = true;

    /// <summary>Proxies per class K for the plain base loss (CP uses <see cref="CalibrateProxyOptions.ProxiesPerClass"/>;
    /// SoftTriple uses <see cref="SoftTripleOptions.CentersPerClass"/> in both cases).</summary>
    public int ProxiesPerClass { get; init; } = 1;

    /// <summary>CP settings (the paper's defaults: λ = 1, start epoch 12, M = 30, K = 3, T = 1).</summary>
    public CalibrateProxyOptions Cp { get; init; } = new();

    /// <summary>Proxy Anchor parameters (α = 32, δ = 0.1).</summary>
    public ProxyAnchorOptions ProxyAnchor { get; init; } = new();

    /// <summary>Proxy-NCA parameters (PML's form: positive in the denominator). Under CP the denominator follows
    /// <see cref="CpNcaIncludePositive"/> instead of <see cref="ProxyNcaOptions.IncludePositive"/>.</summary>
    public ProxyNcaOptions ProxyNca { get; init; } = new();

    /// <summary>
    /// CP switch <c>nca_include_positive</c> (losses.md §5.9, §5.14): whether CP + Proxy-NCA keeps the positive class in the
    /// softmax denominator. Primary <c>false</c>, as CP's Eq. (8) text reads; the plain Proxy-NCA row keeps PML's form.
    /// Kept here rather than on <see cref="CalibrateProxyOptions"/> so the CP structure names no concrete loss.
    /// </summary>
    public bool CpNcaIncludePositive { get; init; }

    /// <summary>SoftTriple parameters.</summary>
    public SoftTripleOptions SoftTriple { get; init; } = new();

    /// <summary>Smooth Proxy Anchor parameters.</summary>
    public SmoothProxyAnchorOptions SmoothProxyAnchor { get; init; } = new();

    /// <summary>Smooth Proxy Anchor's confidence module (used only when <see cref="Base"/> is <see cref="BaseLossKind.SmoothProxyAnchor"/>).</summary>
    public ConfidenceModuleConfig Confidence { get; init; } = new();

    /// <summary>A short label such as <c>cp+proxy-anchor</c>.</summary>
    public string Label() => (CalibrateProxy ? "cp+" : "") + Base switch
    {
        BaseLossKind.ProxyAnchor => "proxy-anchor",
        BaseLossKind.ProxyNca => "proxy-nca",
        BaseLossKind.SoftTriple => "soft-triple",
        _ => "smooth-proxy-anchor",
    };

    /// <summary>Checks ranges; throws naming the first bad field.</summary>
    /// <exception cref="ArgumentException">A field is out of range or missing.</exception>
    public LossConfig Validate()
    {
        if (!Enum.IsDefined(Base)) throw new ArgumentException($"Loss.Base must be one of {string.Join(", ", Enum.GetNames<BaseLossKind>())}; got {Base}.", nameof(Base));
        if (ProxiesPerClass < 1) throw new ArgumentException($"Loss.ProxiesPerClass must be >= 1; got {ProxiesPerClass}.", nameof(ProxiesPerClass));
        if (Cp is null || ProxyAnchor is null || ProxyNca is null || SoftTriple is null || SmoothProxyAnchor is null || Confidence is null)
            throw new ArgumentException("Loss.Cp, Loss.ProxyAnchor, Loss.ProxyNca, Loss.SoftTriple, Loss.SmoothProxyAnchor and Loss.Confidence must not be null.", nameof(Cp));
        if (Cp.StartEpoch < 0) throw new ArgumentException($"Loss.Cp.StartEpoch must be >= 0; got {Cp.StartEpoch}.", nameof(Cp));
        if (Cp.QueuePerClass < 1) throw new ArgumentException($"Loss.Cp.QueuePerClass must be >= 1; got {Cp.QueuePerClass}.", nameof(Cp));
        if (Cp.ProxiesPerClass < 1) throw new ArgumentException($"Loss.Cp.ProxiesPerClass must be >= 1; got {Cp.ProxiesPerClass}.", nameof(Cp));
        if (Cp.Lambda < 0) throw new ArgumentException($"Loss.Cp.Lambda must be >= 0; got {Cp.Lambda}.", nameof(Cp));
        Confidence.Validate();
        return this;
    }
}
