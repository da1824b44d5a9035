using ResearchKit.Losses;
using ResearchKit.Memory;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// Finite-difference gradient checks (float64, random inputs) for every head and for every loss of
/// <see cref="RegisteredLosses"/>, alone and inside the CP structure: a newly registered loss is checked without a test edit.
/// </summary>
public class GradientCheckTests
{
    private const int C = 4, D = 5, N = 7;

    private static (Tensor X, Tensor Y) Batch(Generator g)
    {
        var x = randn(new long[] { N, D }, ScalarType.Float64, generator: g).requires_grad_(true);
        // Every class but the last occurs; class 3 is absent (its proxy only gets negatives).
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0 });
        return (x, y);
    }

    private static ProxySimilarity Head(Generator g, int k, double t = 1.0) =>
        new(randn(new long[] { C * k, D }, ScalarType.Float64, generator: g), k, t);

    public static TheoryData<string> Losses => RegisteredLosses.Ids;

    [Theory]
    [MemberData(nameof(Losses))]
    public void Base_loss_on_a_multi_proxy_head_has_correct_gradients(string lossCase)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        var (x, y) = Batch(g);
        var loss = RegisteredLosses.Cases[lossCase];
        var objective = loss.Plain(loss.Head(C, D, k: 2, g));   // with the loss's regulariser, if any
        var step = new ObjectiveStep(0, loss.Confidences(N, C, g));
        GradCheck.Check(() => objective.call(x, y, step).Total, new Tensor[] { x, objective.Head.Proxies }, lossCase);
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void Loss_inside_calibrate_proxy_has_correct_gradients(string lossCase)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(16);
        var (x, y) = Batch(g);
        var loss = RegisteredLosses.Cases[lossCase];
        var objective = loss.Cp(loss.Head(C, D, k: 2, g), new CalibrateProxyOptions { QueuePerClass = 3, StartEpoch = 2 });
        var step = new ObjectiveStep(5, loss.Confidences(N, C, g));
        GradCheckFromQueue(objective, PartlyFilledCenter(g), () => objective.call(x, y, step).Total, x, $"CP + {lossCase}");
    }

    // Each evaluation starts from the same queue (a step enqueues its batch).
    private static void GradCheckFromQueue(CalibrateProxyObjective objective, GlobalCenter filled, Func<Tensor> loss, Tensor x, string what)
    {
        var (e0, c0, h0) = (filled.Entries.clone(), filled.Counts.clone(), filled.Heads.clone());
        GradCheck.Check(() =>
        {
            objective.Center.Restore(e0, c0, h0);
            return loss();
        }, new Tensor[] { x, objective.Head.Proxies }, what);
    }

    [Fact]
    public void Single_proxy_cosine_head_has_correct_gradients()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(12);
        var (x, y) = Batch(g);
        var head = Head(g, k: 1);
        var w = randn(new long[] { N, C }, ScalarType.Float64, generator: g);
        GradCheck.Check(() => (head.call(x) * w).sum(), new Tensor[] { x, head.Proxies }, "cosine head");
    }

    [Fact]
    public void Soft_triple_regularizer_has_correct_gradients()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(13);
        var proxies = randn(new long[] { C * 3, D }, ScalarType.Float64, generator: g).requires_grad_(true);
        var reg = new SoftTripleRegularizer();
        GradCheck.Check(() => reg.Compute(proxies, 3)!, new[] { proxies }, "softtriple regularizer");
    }

    public static TheoryData<string, string, string> CalibrationVariants => new()
    {
        { "all_pairs", "normalized", "all_nonempty" },
        { "all_pairs", "raw", "batch" },
        { "weighted", "normalized", "all_nonempty" },
        { "weighted", "raw", "all_nonempty" },
        { "nearest", "normalized", "batch" },
    };

    [Theory]
    [MemberData(nameof(CalibrationVariants))]
    public void Calibration_loss_has_correct_gradients(string multi, string form, string classes)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(14);
        var head = Head(g, k: 3);
        var center = PartlyFilledCenter(g);
        var (_, y) = Batch(g);
        var cal = new CalibrationLoss(CalibrationReduction.ElementMean,
            form == "raw" ? CalibrationProxyForm.Raw : CalibrationProxyForm.Normalized,
            classes == "batch" ? CalibrationClasses.Batch : CalibrationClasses.AllNonEmpty,
            multi switch { "weighted" => MultiProxyCalibration.Weighted, "nearest" => MultiProxyCalibration.Nearest, _ => MultiProxyCalibration.AllPairs });
        GradCheck.Check(() => cal.Compute(head, center, y).Loss, new Tensor[] { head.Proxies }, $"calibration {multi}/{form}/{classes}");
    }

    public static TheoryData<string, string, string> ObjectiveVariants => new()
    {
        { "proxyAnchor", "sum", "mean_cos" },
        { "proxyAnchor", "mean", "cos_to_mean" },
        { "proxyNca", "sum", "cos_to_mean" },   // inside CP the positive is excluded (CP Eq. 8)
        { "softTriple", "sum", "mean_cos" },
        // Readings that are not the paper's (issue 13): centred s^g, β = 0.25, own class only.
        { "proxyAnchor", "sum", "centered_cos" },
        { "proxyAnchor", "sum", "beta_0.25" },
        { "proxyAnchor", "mean", "own_class" },
        { "proxyAnchor", "sum", "centered_cos+own_class+beta_0.25" },
    };

    [Theory]
    [MemberData(nameof(ObjectiveVariants))]
    public void Calibrate_proxy_objective_has_correct_gradients(string lossName, string composite, string sg)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(15);
        var (x, y) = Batch(g);
        var loss = RegisteredLosses.Cases[lossName];
        var options = new CalibrateProxyOptions
        {
            QueuePerClass = 3, StartEpoch = 2,
            Composite = composite == "mean" ? CompositeMode.Mean : CompositeMode.Sum,
            CenterSimilarity = sg == "cos_to_mean" ? CenterSimilarityMode.CosToMean
                : sg.Contains("centered_cos") ? CenterSimilarityMode.CenteredCos : CenterSimilarityMode.MeanCos,
            CenterWeight = sg.Contains("beta_0.25") ? 0.25 : 1,
            CenterClasses = sg.Contains("own_class") ? CenterClasses.OwnClass : CenterClasses.All,
        };
        var objective = loss.Cp(loss.Head(C, D, k: 3, g), options);
        GradCheckFromQueue(objective, PartlyFilledCenter(g), () => objective.Step(x, y, epoch: 5).Loss.Total, x, $"CP {lossName}/{composite}/{sg}");
    }

    /// <summary>Queues of 3 slots: class 0 full, class 1 one entry, class 2 empty, class 3 two entries.</summary>
    private static GlobalCenter PartlyFilledCenter(Generator g)
    {
        var center = new GlobalCenter(C, 3, D, ScalarType.Float64);
        center.Enqueue(randn(new long[] { 6, D }, ScalarType.Float64, generator: g), tensor(new long[] { 0, 0, 1, 3, 0, 3 }));
        return center;
    }
}
