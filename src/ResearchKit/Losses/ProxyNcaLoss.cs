using ResearchKit.Internal;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// Proxy-NCA hyperparameters on a cosine-like S: logits t·S. Defaults are PML's <c>ProxyNCALoss(softmax_scale = 1)</c>:
/// t = 2, positive included (softmax cross-entropy). See the factories on <see cref="ProxyNcaLoss"/> for the other forms.
/// </summary>
public sealed record ProxyNcaOptions : LossOptions
{
    /// <summary>t, the scale of S in the logits (&gt; 0).</summary>
    public double Scale { get; init; } = 2;
    /// <summary>Whether the positive class is in the denominator (CP switch <c>nca_include_positive</c>).</summary>
    public bool IncludePositive { get; init; } = true;
    /// <summary>
    /// CP switch <c>nca_include_positive</c> (losses.md §5.9, §5.14): <see cref="IncludePositive"/> when the loss runs inside
    /// the Calibrate Proxy structure. Primary <c>false</c>, as CP's Eq. (8) text reads; the plain Proxy-NCA keeps PML's form.
    /// </summary>
    public bool CpIncludePositive { get; init; }
}

/// <summary>
/// Proxy-NCA on S: loss_i = logsumexp_{c ∈ Z_i}(t S_ic) − t S_{i,y_i}, Z_i = all classes (positive included, i.e. cross-entropy)
/// or all c ≠ y_i (the original paper and CP Eq. 8; unbounded below). L = mean_i. With unit vectors
/// −s·||x̂ − p̂||² = 2s·cos − 2s, so PML's softmax_scale s on squared distances is t = 2s on cosines.
/// Part: <see cref="LossParts.CrossEntropy"/> = total.
/// </summary>
public sealed class ProxyNcaLoss : ClassSimilarityLoss
{
    /// <summary>Creates the loss.</summary>
    public ProxyNcaLoss(ProxyNcaOptions? options = null)
    {
        Options = options ?? new ProxyNcaOptions();
        Guard.Positive(Options.Scale, nameof(ProxyNcaOptions.Scale));
    }

    /// <summary>PML <c>ProxyNCALoss(softmax_scale)</c> (and PA-code's Proxy_NCA with 32): CE on 2·softmax_scale·cos.</summary>
    public static ProxyNcaLoss Pml(double softmaxScale = 1) =>
        new(new ProxyNcaOptions { Scale = 2 * Guard.Positive(softmaxScale, nameof(softmaxScale)), IncludePositive = true });

    /// <summary>The original Proxy-NCA: exp(−||x̂ − p̂||²) with the positive excluded, i.e. t = 2 (losses.md §2.1).</summary>
    public static ProxyNcaLoss Original() => new(new ProxyNcaOptions { Scale = 2, IncludePositive = false });

    /// <summary>ProxyNCA++: both sides scaled by sqrt(1/T), positive included, i.e. t = 2/T (default T = 1/9, losses.md §2.4).</summary>
    public static ProxyNcaLoss NcaPlusPlus(double temperature = 1.0 / 9) =>
        new(new ProxyNcaOptions { Scale = 2 / Guard.Positive(temperature, nameof(temperature)), IncludePositive = true });

    /// <summary>CP + Proxy-NCA (Eq. 8): scale t on the composite S, positive excluded unless <paramref name="includePositive"/>.</summary>
    public static ProxyNcaLoss CalibrateProxy(double scale, bool includePositive = false) =>
        new(new ProxyNcaOptions { Scale = scale, IncludePositive = includePositive });

    /// <summary>
    /// Registry entry <c>proxyNca</c>: PML's standard-normal proxies (losses.md §2.2), the run's K and T; inside CP the
    /// positive class follows <see cref="ProxyNcaOptions.CpIncludePositive"/>.
    /// </summary>
    [RegisteredLoss]
    public static LossEntry Registration { get; } = LossEntry.Create<ProxyNcaOptions>("proxyNca", "Proxy-NCA",
        (o, cp) => new ProxyNcaLoss(cp ? o with { IncludePositive = o.CpIncludePositive } : o),
        head: _ => new ProxyHeadDefaults(ProxyInit.StandardNormal));

    /// <summary>The hyperparameters.</summary>
    public ProxyNcaOptions Options { get; }

    /// <inheritdoc/>
    public override string Name => "proxy_nca";

    /// <inheritdoc/>
    protected override LossOutput ComputeCore(Tensor similarity, Tensor labels)
    {
        long c = similarity.shape[1];
        if (!Options.IncludePositive && c < 2)
            throw new ArgumentException("expected at least 2 classes when the positive is excluded from the denominator", nameof(similarity));
        var logits = similarity * Options.Scale;
        var positive = TensorMath.OneHotMask(labels, c);
        var relative = logits - logits.gather(1, labels.unsqueeze(1));   // t(S_ic − S_iy)
        var perSample = Options.IncludePositive
            ? TensorMath.LogOnePlusSumExp(relative, positive.logical_not(), 1)   // log1p form: precise for tiny losses
            : relative.masked_fill(positive, double.NegativeInfinity).logsumexp(1);
        var loss = perSample.mean();
        return new LossOutput(loss, new[] { Part(LossParts.CrossEntropy, loss) },
            new[] { Part(LossDiagnostics.PerSampleLoss, perSample.detach()) });
    }
}
