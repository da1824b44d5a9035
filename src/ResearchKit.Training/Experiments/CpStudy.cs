using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Similarity;
using ResearchKit.Training.Config;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Experiments;

/// <summary>One reading of CP's under-specified equations (losses.md §5.14, and those issue 13 adds): a change to the CP options.</summary>
/// <param name="Name">Short name used in variant names (<c>primary</c>, <c>sg=centered</c>, …).</param>
/// <param name="Description">What it changes, in words.</param>
/// <param name="Apply">The change, applied to a CP loss section.</param>
/// <param name="LambdaOnly">It changes only λ, so its s^g-only row (λ = 0) would repeat the primary one.</param>
/// <param name="MultiProxyOnly">It changes nothing at K = 1 (T, the multi-proxy calibration rule): only K = 3 rows use it.</param>
/// <param name="ChangesBase">It changes the base loss itself (PA's α, δ), so each claim also runs that base loss without CP
/// (rows <c>{Name} | PA …</c>): the control that tells the reading's effect from CP's.</param>
public sealed record CpReading(string Name, string Description, Func<LossConfig, LossConfig> Apply, bool LambdaOnly = false, bool MultiProxyOnly = false,
    bool ChangesBase = false);

/// <summary>
/// The study of issue 13: which reading of CP reproduces the paper's qualitative claims, in which regime. Each claim is a
/// registry experiment (<c>study-i</c> … <c>study-v</c>) whose rows are the baselines plus, for every reading, the CP rows
/// the claim compares; run them at a profile (<c>default</c>: from scratch; <c>pretrained-frozen</c>,
/// <c>pretrained-layer4</c>: pretrained), sharded like any experiment, and compare rows within a table.
/// </summary>
public static class CpStudy
{
    private static readonly MetricDefinition R1 = RetrievalMetrics.RecallAt(1), Map = RetrievalMetrics.MapAtR, P1 = RetrievalMetrics.PrecisionAt1;

    private static LossConfig Cp(LossConfig l, Func<CalibrateProxyOptions, CalibrateProxyOptions> f) => l with { Cp = f(l.Cp) };

    /// <summary>The readings, primary first.</summary>
    public static IReadOnlyList<CpReading> Readings { get; } =
    [
        new("primary", "the spec's primary reading (S = s^p + s^g, mean-cos s^g, element-mean L_cal, normalised proxies)", l => l),
        new("composite=mean", "Eq. 2: S = (s^p + s^g) / 2 on used classes", l => Cp(l, o => o with { Composite = CompositeMode.Mean })),
        new("sg=cos_to_mean", "Eq. 3: cosine to the queue mean instead of the mean cosine", l => Cp(l, o => o with { CenterSimilarity = CenterSimilarityMode.CosToMean })),
        new("cal=vector_mean", "Eq. 4 divided by pairs, not pairs·D (D times stronger)", l => Cp(l, o => o with { CalibrationReduction = CalibrationReduction.VectorMean })),
        new("cal_proxies=raw", "Eq. 4 with raw, not normalised, proxies", l => Cp(l, o => o with { CalibrationProxies = CalibrationProxyForm.Raw })),
        new("multi=weighted", "Eq. 4 at K > 1: each entry against the softmax-weighted proxy", l => Cp(l, o => o with { MultiProxyCalibration = MultiProxyCalibration.Weighted }), MultiProxyOnly: true),
        new("start=0", "E_s = 0: the queue from the first step", l => Cp(l, o => o with { StartEpoch = 0 })),
        new("T=0.1", "Eq. 5 temperature 0.1", l => Cp(l, o => o with { Temperature = 0.1 }), MultiProxyOnly: true),
        new("beta=0.1", "S = s^p + 0.1·s^g (not the paper's)", l => Cp(l, o => o with { CenterWeight = 0.1 })),
        new("sg=centered", "s^g = cos(x̂ − μ, ḡ − μ), μ the mean of all queued entries (not the paper's)", l => Cp(l, o => o with { CenterSimilarity = CenterSimilarityMode.CenteredCos })),
        new("sg=own_class", "s^g added at the sample's own class only (not the paper's)", l => Cp(l, o => o with { CenterClasses = CenterClasses.OwnClass })),
        new("lambda=10", "λ = 10", l => Cp(l, o => o with { Lambda = 10 }), LambdaOnly: true),
        new("lambda=100", "λ = 100", l => Cp(l, o => o with { Lambda = 100 }), LambdaOnly: true),
        new("pa_rescaled", "PA's α, δ rescaled to S's range [-2, 2]: α = 16, δ = 0.2 (rows of other losses keep theirs)",
            l => l with { Base = l.Base is ProxyAnchorOptions pa ? pa with { Alpha = 16, Margin = 0.2 } : l.Base }, ChangesBase: true),
    ];

    /// <summary>The five claims as experiments.</summary>
    public static IReadOnlyList<Experiment> Experiments { get; } = [TableI(), Fig3(), TableII(), TableIV(), TableV()];

    // A CP row of reading r: CP on with K proxies, the profile's CP settings, then the reading; `lambdaZero` drops L_cal.
    private static ExperimentVariant Row(string name, CpReading r, Func<ExperimentProfile, TrainingConfig, TrainingConfig> setup) =>
        new($"{r.Name} | {name}", (p, c) =>
        {
            var config = setup(p, c);
            return config with { Loss = r.Apply(config.Loss) };
        });

    // The readings that change a K = 1 run.
    private static IEnumerable<CpReading> AtK1 => Readings.Where(r => !r.MultiProxyOnly);

    // The baseline rows `name` (the base loss without CP) plus, for each reading that changes the base loss, its control
    // `{reading} | name` (the same change without CP).
    private static IEnumerable<ExperimentVariant> Baselines(string name, Func<ExperimentProfile, TrainingConfig, TrainingConfig> setup)
    {
        yield return new(name, setup);
        foreach (var r in Readings.Where(r => r.ChangesBase)) yield return Row(name, r, setup);
    }

    private static TrainingConfig Base(TrainingConfig c, bool cp, int k = 1, LossOptions? loss = null, double lambda = 1) =>
        c with { Loss = c.Loss with { Base = loss ?? new ProxyAnchorOptions(), CalibrateProxy = cp, ProxiesPerClass = k, Cp = c.Loss.Cp with { ProxiesPerClass = k, Lambda = lambda } } };

    /// <summary>(i) Table I: PA ≤ PA + s^g ≤ PA + s^g + L_cal, L_cal bringing most of the gain (K = 1).</summary>
    public static Experiment TableI()
    {
        var v = Baselines("PA", (_, c) => Base(c, false)).ToList();
        foreach (var r in AtK1)
        {
            if (!r.LambdaOnly) v.Add(Row("s^g", r, (_, c) => Base(c, true, lambda: 0)));
            v.Add(Row("s^g + L_cal", r, (_, c) => Base(c, true)));
        }
        return new Experiment("study-i", "claim (i), Table I: PA <= PA + s^g <= PA + s^g + L_cal for each CP reading (K = 1)", v, [R1, Map], PaperNumbers.None);
    }

    /// <summary>(ii) Fig. 3: CP's proxy–center deviation drops after E_s, PA's does not (per-epoch series).</summary>
    public static Experiment Fig3()
    {
        var v = Baselines("PA", (_, c) => Base(c, false) with { DeviationEveryEpochs = 1 }).ToList();
        foreach (var r in AtK1)
            v.Add(Row("CP", r, (p, c) => Base(c, true) with { DeviationEveryEpochs = 1 }));
        return new Experiment("study-ii", "claim (ii), Fig. 3: deviation per epoch, PA and CP under each reading (E_s the profile's)", v,
            [RunMetrics.Deviation, R1, Map], PaperNumbers.None, PerEpoch: true);
    }

    /// <summary>(iii) Table II: K = 3 beats K = 1, with and without CP.</summary>
    public static Experiment TableII()
    {
        var v = Baselines("PA K=1", (_, c) => Base(c, false)).Concat(Baselines("PA K=3", (_, c) => Base(c, false, 3))).ToList();
        foreach (var r in Readings)
        {
            if (!r.MultiProxyOnly) v.Add(Row("CP K=1", r, (_, c) => Base(c, true)));
            v.Add(Row("CP K=3", r, (_, c) => Base(c, true, 3)));
        }
        return new Experiment("study-iii", "claim (iii), Table II: K = 3 beats K = 1, with and without CP under each reading", v, [R1, Map], PaperNumbers.None);
    }

    /// <summary>(iv) Table IV: CP helps each base loss (Proxy-NCA, SoftTriple; PA in study-i).</summary>
    public static Experiment TableIV()
    {
        var v = new List<ExperimentVariant>
        {
            new("Proxy-NCA", (_, c) => Base(c, false, loss: new ProxyNcaOptions())),
            new("SoftTriple", (_, c) => Base(c, false, loss: new SoftTripleOptions())),
        };
        foreach (var r in AtK1)
        {
            v.Add(Row("CP+Proxy-NCA", r, (_, c) => Base(c, true, loss: new ProxyNcaOptions())));
            v.Add(Row("CP+SoftTriple", r, (_, c) => Base(c, true, loss: new SoftTripleOptions())));
        }
        return new Experiment("study-iv", "claim (iv), Table IV: CP helps Proxy-NCA and SoftTriple under each reading (PA: study-i)", v, [R1, Map], PaperNumbers.None);
    }

    /// <summary>(v) Table V: CP's margin over PA does not shrink as symmetric label noise grows (20 %, 50 %; 0 % in study-i).</summary>
    public static Experiment TableV()
    {
        var v = new List<ExperimentVariant>();
        foreach (var rate in new[] { 0.2, 0.5 })
        {
            string n = $"noise={rate * 100:0}%";
            v.AddRange(Baselines($"PA {n}", (_, c) => Base(c, false) with { LabelNoiseRate = rate }));
            foreach (var r in AtK1) v.Add(Row($"CP {n}", r, (_, c) => Base(c, true) with { LabelNoiseRate = rate }));
        }
        return new Experiment("study-v", "claim (v), Table V: CP's margin over PA at 20 % and 50 % label noise under each reading", v, [P1, Map], PaperNumbers.None);
    }
}
