using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Similarity;
using ResearchKit.Training.Config;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Experiments;

/// <summary>The paper's experiments (losses.md §5.13): Tables I, II, IV, V and Figs. 3, 4; then the reading study (<see cref="CpStudy"/>).</summary>
public static class ExperimentRegistry
{
    private static readonly MetricDefinition R1 = RetrievalMetrics.RecallAt(1), R2 = RetrievalMetrics.RecallAt(2), R4 = RetrievalMetrics.RecallAt(4),
        R8 = RetrievalMetrics.RecallAt(8), Map = RetrievalMetrics.MapAtR, P1 = RetrievalMetrics.PrecisionAt1;

    /// <summary>All experiments, in table order.</summary>
    public static IReadOnlyList<Experiment> All { get; } = [Table1(), Table2(), Table4(), Table5(), Fig3(), Fig4(), Switches(), .. CpStudy.Experiments];

    /// <summary>The experiment called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; lists the known ones.</exception>
    public static Experiment Get(string name) => All.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"unknown experiment '{name}'; expected one of {string.Join(", ", All.Select(e => e.Name))}.", nameof(name));

    private static TrainingConfig Loss(TrainingConfig c, Func<LossConfig, LossConfig> f) => c with { Loss = f(c.Loss) };

    private static TrainingConfig WithCp(TrainingConfig c, bool cp, int k = 1, double lambda = 1) =>
        Loss(c, l => l with { CalibrateProxy = cp, ProxiesPerClass = k, Cp = l.Cp with { ProxiesPerClass = k, Lambda = lambda } });

    /// <summary>Table I: CP ablation on Proxy Anchor, K = 1.</summary>
    public static Experiment Table1()
    {
        ExperimentVariant pa = new("PA (s^p only)", (_, c) => WithCp(c, false)), sg = new("PA + s^g", (_, c) => WithCp(c, true, lambda: 0)),
            cal = new("PA + s^g + L_cal", (_, c) => WithCp(c, true));
        var paper = new PaperNumbers()
            .Add("cub", pa, (R1, 68.5), (R2, 79.0), (R4, 86.4)).Add("cub", sg, (R1, 68.6), (R2, 79.0), (R4, 86.5)).Add("cub", cal, (R1, 69.2), (R2, 79.3), (R4, 86.7))
            .Add("cars", pa, (R1, 86.1), (R2, 91.7), (R4, 95.0)).Add("cars", sg, (R1, 86.2), (R2, 91.7), (R4, 95.1)).Add("cars", cal, (R1, 87.0), (R2, 92.3), (R4, 95.2));
        return new Experiment("table1", "CP ablation (PA, K = 1): s^p only, + s^g, + s^g + L_cal", [pa, sg, cal], [R1, R2, R4, Map], paper);
    }

    /// <summary>Table II: proxies per class K = 1..5, with and without CP (PA base).</summary>
    public static Experiment Table2()
    {
        double[][] cubNo = [[68.4, 79.0, 86.2], [68.7, 79.1, 86.6], [69.0, 79.3, 86.9], [68.9, 79.2, 86.9], [68.9, 79.3, 87.0]];
        double[][] carsNo = [[86.1, 91.7, 95.0], [86.7, 92.0, 95.2], [87.1, 92.2, 95.3], [87.0, 92.1, 95.2], [87.1, 92.2, 95.4]];
        double[][] cubCp = [[69.2, 79.3, 86.7], [69.5, 79.6, 86.9], [69.8, 79.7, 87.1], [69.8, 79.7, 87.0], [69.8, 79.6, 87.1]];
        double[][] carsCp = [[87.0, 92.3, 95.2], [87.3, 92.4, 95.3], [87.5, 92.4, 95.4], [87.4, 92.4, 95.4], [87.5, 92.5, 95.3]];
        var paper = new PaperNumbers();
        var variants = new List<ExperimentVariant>();
        for (int k = 1; k <= 5; k++)
        {
            int kk = k;
            ExperimentVariant no = new($"PA K={k}", (_, c) => WithCp(c, false, kk)), cp = new($"CP+PA K={k}", (_, c) => WithCp(c, true, kk));
            variants.Add(no);
            variants.Add(cp);
            foreach (var (ds, name, row) in new[] { ("cub", no, cubNo[k - 1]), ("cars", no, carsNo[k - 1]), ("cub", cp, cubCp[k - 1]), ("cars", cp, carsCp[k - 1]) })
                paper.Add(ds, name, (R1, row[0]), (R2, row[1]), (R4, row[2]));
        }
        return new Experiment("table2", "proxies per class K = 1..5, with and without CP (PA base)", variants, [R1, R2, R4, Map], paper);
    }

    /// <summary>The losses of the paper's Table IV, in its order; <see cref="Table4"/> appends every other registered loss.</summary>
    // A getter, not a stored field: All (declared above) builds Table4() during static initialization.
    private static LossEntry[] PaperTable4Losses => [ProxyNcaLoss.Registration, SoftTripleLoss.Registration, ProxyAnchorLoss.Registration];

    /// <summary>
    /// The rows of <see cref="Table4"/>: the paper's losses, then every other registered loss that takes no confidences
    /// (confidence-weighted losses are Table V's), by name, so a newly registered loss gets its rows without an edit here.
    /// </summary>
    public static IReadOnlyList<LossEntry> Table4Losses =>
        [.. PaperTable4Losses, .. LossRegistry.Default.Entries.Where(e => !e.NeedsConfidences && !PaperTable4Losses.Contains(e))];

    /// <summary>
    /// Table IV (and III's MAP@R): CP + each base loss against the base loss (Proxy-NCA at D = 64 in the paper), one pair of
    /// rows per loss of <see cref="Table4Losses"/>, named by the loss's display name and CP name (<c>Proxy Anchor</c>, <c>CP+PA</c>).
    /// </summary>
    public static Experiment Table4()
    {
        var paper = new PaperNumbers();
        // CP rows take the profile's CP settings (K = 3 as in the paper); the base-loss rows their single proxy. A profile's
        // own options are kept for its own loss, every other loss takes its defaults. The paper's Proxy-NCA rows use D = 64;
        // the other profiles keep their own D for every row.
        static TrainingConfig LossRow(ExperimentProfile p, TrainingConfig c, LossEntry loss, bool cp) =>
            Loss(c with { EmbeddingSize = p.HasPaperNumbers && loss == ProxyNcaLoss.Registration ? 64 : c.EmbeddingSize },
                l => l with { Base = l.Base.GetType() == loss.OptionsType ? l.Base : loss.DefaultOptions, CalibrateProxy = cp });
        var variants = Table4Losses.SelectMany(loss => new ExperimentVariant[]
        {
            new(loss.DisplayName, (p, c) => LossRow(p, c, loss, false)),
            new(loss.CalibrateProxyName, (p, c) => LossRow(p, c, loss, true)),
        }).ToList();
        // The paper's numbers, attached to the rows of the losses it reports (the registry's display names are the paper's).
        ExperimentVariant V(string name) => variants.Single(v => v.Name == name);
        void Row(ExperimentVariant v, double[] cub, double[] cars, double sop1)
        {
            paper.Add("cub", v, (R1, cub[0]), (R2, cub[1]), (R4, cub[2]), (R8, cub[3]));
            paper.Add("cars", v, (R1, cars[0]), (R2, cars[1]), (R4, cars[2]), (R8, cars[3]));
            paper.Add("sop", v, (R1, sop1));
        }
        ExperimentVariant nca = V("Proxy-NCA"), cpNca = V("CP+Proxy-NCA"), st = V("SoftTriple"), cpSt = V("CP+SoftTriple"),
            pa = V("Proxy Anchor"), cpPa = V("CP+PA");
        Row(nca, [49.2, 61.9, 67.9, 72.4], [73.2, 82.4, 86.4, 87.8], 73.7);
        Row(cpNca, [57.1, 67.3, 72.8, 79.9], [77.8, 86.1, 89.7, 90.8], 74.7);
        Row(st, [65.4, 76.4, 84.5, 90.4], [84.5, 90.7, 94.5, 96.9], 78.3);
        Row(cpSt, [67.6, 78.2, 85.9, 91.6], [85.3, 91.3, 94.9, 97.1], 78.8);
        Row(pa, [68.4, 79.2, 86.8, 91.6], [86.1, 91.7, 95.0, 97.3], 79.1);
        Row(cpPa, [69.8, 79.7, 87.1, 92.1], [87.5, 92.4, 95.4, 97.6], 79.7);
        foreach (var (ds, paMap, cpMap) in new[] { ("cub", 26.47, 28.34), ("cars", 27.77, 30.79), ("sop", 47.88, 50.52) })
            paper.Add(ds, pa, (Map, paMap)).Add(ds, cpPa, (Map, cpMap));
        paper.Add("cub", nca, (Map, 23.85)).Add("cars", nca, (Map, 25.56)).Add("sop", nca, (Map, 47.22))
            .Add("cub", st, (Map, 25.64)).Add("cars", st, (Map, 26.06)).Add("sop", st, (Map, 47.35));
        return new Experiment("table4", $"CP + each base loss ({string.Join(", ", Table4Losses.Select(l => l.DisplayName))}) against the base loss",
            variants, [R1, R2, R4, R8, Map], paper, PaperDatasets: ["cub", "cars", "sop"]);
    }

    /// <summary>Table V: symmetric label noise 10/20/50 % — PA, CP+PA and Smooth Proxy Anchor.</summary>
    public static Experiment Table5()
    {
        var paper = new PaperNumbers();
        var variants = new List<ExperimentVariant>();
        double[] rates = [0.1, 0.2, 0.5];
        (string Name, LossOptions Base, bool Cp, double[]? Cub, double[]? Cars)[] rows =
        [
            ("Proxy Anchor", new ProxyAnchorOptions(), false, [66.1, 62.6, 57.4], [83.6, 79.1, 71.7]),
            ("CP+PA", new ProxyAnchorOptions(), true, [67.0, 64.0, 59.3], [85.1, 81.4, 73.6]),
            ("Smooth Proxy Anchor", new SmoothProxyAnchorOptions(), false, null, null),   // with its confidence module (LossConfig.Confidence)
        ];
        for (int i = 0; i < rates.Length; i++)
            foreach (var row in rows)
            {
                double rate = rates[i];
                var variant = new ExperimentVariant($"{row.Name} noise={rate * 100:0}%",
                    (_, c) => Loss(c with { LabelNoiseRate = rate }, l => l with { Base = row.Base, CalibrateProxy = row.Cp }));
                variants.Add(variant);
                if (row.Cub is not null) paper.Add("cub", variant, (P1, row.Cub[i])).Add("cars", variant, (P1, row.Cars![i]));
            }
        return new Experiment("table5", "symmetric label noise 10/20/50 %: PA, CP+PA, Smooth Proxy Anchor", variants, [P1, Map], paper);
    }

    /// <summary>The paper's start epoch (12 of 60).</summary>
    public const int PaperStartEpoch = 12;

    /// <summary>
    /// The start epoch of Fig. 3's CP run: the paper's 12 of 60 scaled to the profile's run length (whatever the profile's own
    /// start epoch), so the figure shows what switching the global center on does to the deviation.
    /// </summary>
    public static int Fig3StartEpoch(ExperimentProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return StartAt(profile, profile.Base, PaperStartEpoch);
    }

    // A start epoch in the paper's units (of 60) scaled to the profile, inside the (possibly shortened) run.
    private static int StartAt(ExperimentProfile p, TrainingConfig c, int paperEpoch) => Math.Min(p.ScaledEpoch(paperEpoch), c.Epochs - 1);

    /// <summary>Fig. 3: proxy–center deviation (Eq. 10) per epoch, with and without CP (CP switched on at <see cref="Fig3StartEpoch"/>).</summary>
    public static Experiment Fig3() => new("fig3", "deviation (Eq. 10) per epoch, PA with and without CP (CP from the paper's scaled start epoch)",
    [
        new("PA", (_, c) => WithCp(c, false) with { DeviationEveryEpochs = 1 }),
        new("CP+PA", (p, c) => Loss(WithCp(c, true), l => l with { Cp = l.Cp with { StartEpoch = StartAt(p, c, PaperStartEpoch) } })
            with { DeviationEveryEpochs = 1 }),
    ], [RunMetrics.Deviation, RunMetrics.DeviationPairwise, R1, Map], PaperNumbers.None, PerEpoch: true);

    /// <summary>
    /// What the paper says about Fig. 4 (losses.md §5.1, §5.13): total capacities 3000 and 3500 were best on CUB (100 training
    /// classes: M = 30 and 35 per class), and the start epoch 12 of 60. It states no R@1 values along the sweeps.
    /// </summary>
    // A getter, not a stored property: All (declared above) builds Fig4() during static initialization.
    public static IReadOnlyList<PaperOptimum> Fig4PaperOptima =>
    [
        new("M", "queue capacity per class M (CUB: total / 100 classes)", [30, 35], "Fig. 4: capacities 3000 and 3500 were best on CUB"),
        new("start", "start epoch E_s, of 60 epochs", [PaperStartEpoch], "Fig. 4: E_s = 12 was best", "/60"),
    ];

    /// <summary>Fig. 4: queue capacity (total entries M·C) and start-epoch sweeps of CP+PA.</summary>
    public static Experiment Fig4()
    {
        var variants = new List<ExperimentVariant>();
        // The paper sweeps total capacity (best 3000–3500 with CUB's 100 classes, i.e. M = 30–35 per class).
        foreach (var perClass in new[] { 10, 20, 30, 35, 40, 50 })
            variants.Add(new($"M={perClass}", (_, c) => Loss(c, l => l with
            {
                CalibrateProxy = true,
                Cp = l.Cp with { QueuePerClass = perClass },
            })));
        foreach (var start in new[] { 0, 4, 8, 12, 16, 20 })
            variants.Add(new($"start={start}/60", (p, c) => Loss(c, l => l with
            {
                CalibrateProxy = true, Cp = l.Cp with { StartEpoch = StartAt(p, c, start) },
            })));
        return new Experiment("fig4", "CP+PA queue capacity per class M and start-epoch sweeps (start epoch scaled to the profile's epochs)",
            variants, [R1, Map], PaperNumbers.None, PaperOptima: Fig4PaperOptima);
    }

    /// <summary>
    /// The CP reconstruction switches side by side (losses.md §5.14): composite sum vs mean, calibration reduction
    /// element_mean vs vector_mean (K = 1), and the multi-proxy temperature T = 1 vs 0.1 (K = 3, where T matters).
    /// Not in the paper, so no reported numbers.
    /// </summary>
    public static Experiment Switches()
    {
        static TrainingConfig Cp(TrainingConfig c, int k, Func<CalibrateProxyOptions, CalibrateProxyOptions> f) =>
            Loss(WithCp(c, true, k), l => l with { Cp = f(l.Cp) });
        return new Experiment("switches", "CP reconstruction switches: composite sum/mean, L_cal element/vector mean, T = 1/0.1 (K = 3)",
        [
            new("PA", (_, c) => WithCp(c, false)),
            new("CP primary (sum, element_mean)", (_, c) => Cp(c, 1, o => o)),
            new("CP composite=mean", (_, c) => Cp(c, 1, o => o with { Composite = CompositeMode.Mean })),
            new("CP cal=vector_mean", (_, c) => Cp(c, 1, o => o with { CalibrationReduction = CalibrationReduction.VectorMean })),
            new("CP K=3 T=1", (_, c) => Cp(c, 3, o => o with { Temperature = 1 })),
            new("CP K=3 T=0.1", (_, c) => Cp(c, 3, o => o with { Temperature = 0.1 })),
        ], [R1, R2, R4, Map], PaperNumbers.None);
    }
}
