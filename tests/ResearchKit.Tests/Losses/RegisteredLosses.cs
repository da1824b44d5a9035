using ResearchKit.Losses;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// The losses every contract test runs over (pytorch-metric-learning's <c>get_compatible_losses</c> pattern): each loss of
/// <see cref="LossRegistry.Default"/> at its defaults, so a newly registered loss gets every check without a test edit,
/// plus option sets that switch a registered loss's formula.
/// </summary>
internal static class RegisteredLosses
{
    // Formula switches of registered losses (the defaults are in the registry): Proxy-NCA without the positive in the
    // denominator (the original paper, CP Eq. 8) and Smooth Proxy-Anchor's label-and-confidence positives.
    private static readonly (string Variant, LossOptions Options)[] Switches =
    [
        ("exclude-positive", new ProxyNcaOptions { Scale = 8, IncludePositive = false }),
        ("label-and-confidence", new SmoothProxyAnchorOptions { PositiveRule = PositiveRule.LabelAndConfidence }),
    ];

    /// <summary>Every case, by id (<c>proxyAnchor</c>, <c>proxyNca/exclude-positive</c>).</summary>
    public static IReadOnlyDictionary<string, LossCase> Cases { get; } = LossRegistry.Default.Entries
        .Select(e => new LossCase(e.Name, e, e.DefaultOptions))
        .Concat(Switches.Select(s => SwitchCase(s.Variant, s.Options)))
        .ToDictionary(c => c.Id);

    private static LossCase SwitchCase(string variant, LossOptions options)
    {
        var entry = LossRegistry.Default.For(options);
        return new LossCase($"{entry.Name}/{variant}", entry, options);
    }

    /// <summary>The ids, as theory data.</summary>
    public static TheoryData<string> Ids => [.. Cases.Keys];
}

/// <summary>One loss with one option set, and the pieces a test builds around it the way the trainer does.</summary>
/// <param name="Id">Test id.</param>
/// <param name="Entry">The registry entry.</param>
/// <param name="Options">The options.</param>
internal sealed record LossCase(string Id, LossEntry Entry, LossOptions Options)
{
    /// <summary>The loss (as built inside CP when <paramref name="calibrateProxy"/>).</summary>
    public IClassSimilarityLoss Loss(bool calibrateProxy = false) => Entry.Build(Options, calibrateProxy);

    /// <summary>K of the head: the loss's own, or <paramref name="k"/>.</summary>
    public int ProxiesPerClass(int k) => Entry.Head(Options).ProxiesPerClass ?? k;

    /// <summary>T of the head: the loss's own, or <paramref name="t"/>.</summary>
    public double Temperature(double t = 1.0) => Entry.Head(Options).Temperature ?? t;

    /// <summary>A float64 head over random proxies with the loss's K and T (or <paramref name="k"/>, T = 1).</summary>
    public ProxySimilarity Head(int numClasses, int embeddingSize, int k, Generator g) =>
        new(randn(new long[] { numClasses * ProxiesPerClass(k), embeddingSize }, ScalarType.Float64, generator: g), ProxiesPerClass(k), Temperature());

    /// <summary>The plain objective with the loss's regulariser.</summary>
    public ProxyObjective Plain(ProxySimilarity head) => new(head, Loss(), Entry.Regularizer(Options));

    /// <summary>The CP objective around <paramref name="head"/> with the loss's regulariser.</summary>
    public CalibrateProxyObjective Cp(ProxySimilarity head, CalibrateProxyOptions options) =>
        new(head, Loss(calibrateProxy: true), options with { ProxiesPerClass = head.ProxiesPerClass, Temperature = head.Temperature },
            Entry.Regularizer(Options));

    /// <summary>Random N x C confidences in [0, 1) when the loss takes them, else null.</summary>
    public Tensor? Confidences(long n, long c, Generator g) =>
        Entry.NeedsConfidences ? rand(new[] { n, c }, ScalarType.Float64, generator: g) : null;

    /// <inheritdoc/>
    public override string ToString() => Id;
}
