using BenchmarkDotNet.Attributes;
using ResearchKit.Losses;
using ResearchKit.Memory;
using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Forward + backward of each loss at the CP training size: N = 150, D = 512, C = 100, K = 3, M = 30 (float32, CPU),
/// and the queue update. libtorch threads: <see cref="Threads"/> (torch.set_num_threads). Run:
/// <c>dotnet run -c Release --project bench/ResearchKit.Benchmarks -- --filter '*LossBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser(false)]
public class LossBenchmarks
{
    private const int N = 150, D = 512, C = 100, K = 3, M = 30;

    private Tensor x = null!;
    private Tensor labels = null!;
    private Tensor confidences = null!;
    private ProxySimilarity head1 = null!, head3 = null!, softTripleHead = null!;
    private readonly ProxyAnchorLoss proxyAnchor = new();
    private readonly ProxyNcaLoss proxyNca = ProxyNcaLoss.Pml(32);
    private readonly SoftTripleLoss softTriple = new(new SoftTripleOptions { CentersPerClass = K });
    private readonly SoftTripleRegularizer softTripleRegularizer = new();
    private readonly SmoothProxyAnchorLoss smoothProxyAnchor = new();
    private readonly CalibrationLoss calibration = new();
    private CalibrateProxyObjective cpProxyAnchor = null!, cpProxyNca = null!, cpSoftTriple = null!;
    private GlobalCenter center = null!;

    /// <summary>libtorch intra-op threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Builds the inputs; fills the CP queue so it is active and full.</summary>
    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(Threads);
        var g = new Generator(0);
        x = randn(new long[] { N, D }, generator: g).requires_grad_(true);
        labels = randint(C, new long[] { N }, generator: g);
        confidences = rand(new long[] { N, C }, generator: g);
        head1 = ProxySimilarity.ForProxyAnchor(C, D, 1, generator: g);
        head3 = ProxySimilarity.ForProxyAnchor(C, D, K, generator: g);
        softTripleHead = ProxySimilarity.ForSoftTriple(C, D, K, generator: g);
        cpProxyAnchor = CalibrateProxyObjective.Create(C, D, proxyAnchor, new CalibrateProxyOptions { StartEpoch = 0 }, generator: g);
        cpProxyNca = CalibrateProxyObjective.Create(C, D, ProxyNcaLoss.CalibrateProxy(64), new CalibrateProxyOptions { StartEpoch = 0 },
            ProxyInit.StandardNormal, generator: g);
        // CP + SoftTriple keeps SoftTriple's head (K centres, T = γ) and its regulariser (losses.md §5.10).
        cpSoftTriple = new CalibrateProxyObjective(ProxySimilarity.ForSoftTriple(C, D, K, generator: g), softTriple,
            new CalibrateProxyOptions { StartEpoch = 0, ProxiesPerClass = K, Temperature = softTriple.Options.Gamma }, softTripleRegularizer);
        center = new GlobalCenter(C, M, D);
        for (int i = 0; i < 2 * M; i++)
        {
            var fill = randn(new long[] { C, D }, generator: g);
            foreach (var cp in new[] { cpProxyAnchor, cpProxyNca, cpSoftTriple }) cp.Center.Enqueue(fill, arange(C));
            center.Enqueue(fill, arange(C));
        }
    }

    private void Backward(Tensor loss)
    {
        loss.backward();
        x.grad?.zero_();
    }

    /// <summary>Proxy Anchor, K = 1 (PyTorch reference: 1.3 ms).</summary>
    [Benchmark(Baseline = true)]
    public void ProxyAnchor_K1()
    {
        using var scope = NewDisposeScope();
        Backward(proxyAnchor.Compute(head1.call(x), labels).Total);
        head1.Proxies.grad?.zero_();
    }

    /// <summary>Proxy Anchor on the softmax-pooled K = 3 head.</summary>
    [Benchmark]
    public void ProxyAnchor_K3()
    {
        using var scope = NewDisposeScope();
        Backward(proxyAnchor.Compute(head3.call(x), labels).Total);
        head3.Proxies.grad?.zero_();
    }

    /// <summary>Proxy-NCA (PML form, softmax_scale 32), K = 1.</summary>
    [Benchmark]
    public void ProxyNca_K1()
    {
        using var scope = NewDisposeScope();
        Backward(proxyNca.Compute(head1.call(x), labels).Total);
        head1.Proxies.grad?.zero_();
    }

    /// <summary>SoftTriple with K = 3 centres and the τ regulariser.</summary>
    [Benchmark]
    public void SoftTriple_K3()
    {
        using var scope = NewDisposeScope();
        var loss = softTriple.Compute(softTripleHead.call(x), labels).Total
                   + softTripleRegularizer.Weight * softTripleRegularizer.Compute(softTripleHead.Proxies, K)!;
        Backward(loss);
        softTripleHead.Proxies.grad?.zero_();
    }

    /// <summary>Smooth Proxy-Anchor with N x C confidences, K = 1.</summary>
    [Benchmark]
    public void SmoothProxyAnchor_K1()
    {
        using var scope = NewDisposeScope();
        Backward(smoothProxyAnchor.Compute(head1.call(x), labels, confidences).Total);
        head1.Proxies.grad?.zero_();
    }

    /// <summary>Calibration loss alone (all pairs, K = 3, M = 30, every queue full), forward + backward.</summary>
    [Benchmark]
    public void Calibration_K3_M30()
    {
        using var scope = NewDisposeScope();
        calibration.Compute(head3, center).Loss.backward();
        head3.Proxies.grad?.zero_();
    }

    /// <summary>
    /// A whole CP + Proxy Anchor step (K = 3, M = 30, queue active and full): S = s^p + s^g, L_cp + L_cal, backward, and
    /// the enqueue of the batch (PyTorch reference: 3.7 ms).
    /// </summary>
    [Benchmark]
    public void CalibrateProxy_ProxyAnchor_K3_M30()
    {
        using var scope = NewDisposeScope();
        Backward(cpProxyAnchor.Step(x, labels, epoch: 1).Loss.Total);
        cpProxyAnchor.Head.Proxies.grad?.zero_();
    }

    /// <summary>CP + Proxy-NCA (t = 64, positive excluded; K = 3, M = 30, queue active and full), the whole step.</summary>
    [Benchmark]
    public void CalibrateProxy_ProxyNca_K3_M30()
    {
        using var scope = NewDisposeScope();
        Backward(cpProxyNca.Step(x, labels, epoch: 1).Loss.Total);
        cpProxyNca.Head.Proxies.grad?.zero_();
    }

    /// <summary>CP + SoftTriple (K = 3 centres, τ regulariser, M = 30, queue active and full), the whole step.</summary>
    [Benchmark]
    public void CalibrateProxy_SoftTriple_K3_M30()
    {
        using var scope = NewDisposeScope();
        Backward(cpSoftTriple.Step(x, labels, epoch: 1).Loss.Total);
        cpSoftTriple.Head.Proxies.grad?.zero_();
    }

    /// <summary>Reference floor: the bare x·Pᵀ product (N x 512 by 512 x 300) forward and backward, no normalisation or loss.</summary>
    [Benchmark]
    public void MatmulOnly_K3()
    {
        using var scope = NewDisposeScope();
        Backward(x.matmul(head3.Proxies.t()).sum());
        head3.Proxies.grad?.zero_();
    }

    /// <summary>The queue update alone: one vectorised enqueue of N = 150 samples.</summary>
    [Benchmark]
    public void QueueEnqueue_N150()
    {
        using var scope = NewDisposeScope();
        center.Enqueue(x, labels);
    }
}
