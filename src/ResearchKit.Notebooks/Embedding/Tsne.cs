using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Notebooks.Embedding;

/// <summary>Settings of exact t-SNE (van der Maaten and Hinton 2008, with the usual early exaggeration, momentum and gains).</summary>
public sealed record TsneOptions
{
    /// <summary>Effective number of neighbours (5–50 typical); must be below the number of points.</summary>
    public double Perplexity { get; init; } = 30;

    /// <summary>Gradient steps.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Steps with exaggerated attraction at the start; at most half of <see cref="Iterations"/> are used, so the layout always gets unexaggerated steps to settle.</summary>
    public int ExaggerationIterations { get; init; } = 250;

    /// <summary>Attraction factor during the first steps.</summary>
    public double EarlyExaggeration { get; init; } = 12;

    /// <summary>Step size; null uses scikit-learn's "auto", max(N / exaggeration / 4, 50).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Seed of the initial layout; equal seeds give equal results on the CPU.</summary>
    public long Seed { get; init; } = 0;

    /// <summary>Output dimensions (2 for figures).</summary>
    public int Dimensions { get; init; } = 2;
}

/// <summary>The t-SNE layout and its final KL divergence.</summary>
/// <param name="Embedding">N × Dimensions, float64, on the CPU.</param>
/// <param name="KlDivergence">KL(P ‖ Q) at the end (lower is a more faithful layout).</param>
public sealed record TsneResult(Tensor Embedding, double KlDivergence);

/// <summary>
/// Exact t-SNE in tensor code: O(N²) memory and time per step, fine for a few thousand points (3,000 points hold a few
/// 70 MB matrices). Affinities come from a vectorized binary search for each point's bandwidth; no per-point C# loops.
/// </summary>
public static class Tsne
{
    /// <summary>Embeds the rows of <paramref name="x"/> (N × D) in <see cref="TsneOptions.Dimensions"/> dimensions.</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not 2-D, has fewer than 4 rows, or perplexity ≥ N.</exception>
    public static TsneResult Fit(Tensor x, TsneOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        options ??= new TsneOptions();
        if (x.dim() != 2) throw new ArgumentException($"x must be N × D (got {x.dim()} dimensions)", nameof(x));
        long n = x.shape[0];
        if (n < 4) throw new ArgumentException($"t-SNE needs at least 4 points (got {n})", nameof(x));
        if (!(options.Perplexity > 1 && options.Perplexity < n))
            throw new ArgumentException($"perplexity must be in (1, N) = (1, {n}); got {options.Perplexity}", nameof(options));
        if (options.Iterations < 1 || options.Dimensions < 1 || options.ExaggerationIterations < 0)
            throw new ArgumentException("Iterations and Dimensions must be ≥ 1 and ExaggerationIterations ≥ 0", nameof(options));

        GlibcMalloc.KeepLargeBlocksOnMmap();
        using var outer = NewDisposeScope();
        var p = JointProbabilities(x.detach().cpu().to_type(ScalarType.Float64), options.Perplexity);
        double lr = options.LearningRate ?? Math.Max(n / options.EarlyExaggeration / 4.0, 50.0);
        var generator = new Generator((ulong)options.Seed);
        var y = randn(new[] { n, (long)options.Dimensions }, dtype: ScalarType.Float64, generator: generator) * 1e-4;
        var update = zeros_like(y);
        var gains = ones_like(y);
        var offDiagonal = ones(n, n, dtype: ScalarType.Float64) - eye(n, dtype: ScalarType.Float64);

        int exaggerated = Math.Min(options.ExaggerationIterations, options.Iterations / 2);
        // Two N × N buffers reused by every step: the Student-t kernel and the gradient weights. Steps allocate only N × D.
        var num = empty_like(p);
        var w = empty_like(p);
        for (int it = 0; it < options.Iterations; it++)
        {
            using var step = NewDisposeScope();
            bool early = it < exaggerated;
            double exaggeration = early ? options.EarlyExaggeration : 1.0;
            double momentum = early ? 0.5 : 0.8;
            StudentT(y, offDiagonal, num);
            var inverseSum = num.sum().reciprocal();
            // w = (exaggeration · P − Q) ∘ num, with Q = num / Σ num (floored at 1e-12)
            w.copy_(num).mul_(inverseSum).clamp_min_(1e-12).neg_().add_(p, exaggeration).mul_(num);
            var grad = (w.sum(1, keepdim: true) * y - w.matmul(y)) * 4.0;
            // Delta-bar-delta gains: grow where the step keeps its direction, shrink where it flips.
            var sameSign = grad.sign().eq(update.sign());
            gains.copy_(where(sameSign, gains * 0.8, gains + 0.2).clamp_min(0.01));
            update.mul_(momentum).sub_(gains * grad * lr);
            y.add_(update);
            y.sub_(y.mean(new long[] { 0 }, keepdim: true));
        }

        double kl;
        using (NewDisposeScope())
        {
            StudentT(y, offDiagonal, num);
            var q = (num / num.sum()).clamp_min(1e-12);
            kl = (p * (p / q).log()).sum().item<double>();
        }
        return new TsneResult(y.MoveToOuterDisposeScope(), kl);
    }

    /// <summary>
    /// Lays samples, proxies and class centres out together (they share one t-SNE), then splits the layout back:
    /// proxies and centres must live in the samples' embedding space (same D).
    /// </summary>
    public static (Tensor Samples, Tensor? Proxies, Tensor? Centers) FitJointly(Tensor samples, Tensor? proxies, Tensor? centers, TsneOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        foreach (var (t, name) in new[] { (proxies, nameof(proxies)), (centers, nameof(centers)) })
            if (t is not null && (t.dim() != 2 || t.shape[1] != samples.shape[1]))
                throw new ArgumentException($"{name} must be K × {samples.shape[1]} like the samples", name);
        var parts = new List<Tensor> { samples };
        if (proxies is not null) parts.Add(proxies);
        if (centers is not null) parts.Add(centers);
        using var scope = NewDisposeScope();
        var all = cat(parts.Select(t => t.detach().cpu().to_type(ScalarType.Float64)).ToArray(), 0);
        var layout = Fit(all, options).Embedding;
        long a = samples.shape[0], b = a + (proxies?.shape[0] ?? 0);
        var s = layout[..(int)a].clone().MoveToOuterDisposeScope();
        var pr = proxies is null ? null : layout[(int)a..(int)b].clone().MoveToOuterDisposeScope();
        var c = centers is null ? null : layout[(int)b..].clone().MoveToOuterDisposeScope();
        return (s, pr, c);
    }

    /// <summary>Writes (1 + ‖yᵢ − yⱼ‖²)⁻¹ with a zero diagonal into <paramref name="into"/>, in place.</summary>
    private static void StudentT(Tensor y, Tensor offDiagonal, Tensor into)
    {
        using var scope = NewDisposeScope();
        var sq = y.pow(2).sum(1, keepdim: true);
        into.copy_(sq.expand(into.shape)).add_(sq.t()).addmm_(y, y.t(), 1f, -2f).clamp_min_(0.0).add_(1.0).reciprocal_().mul_(offDiagonal);
    }

    /// <summary>Symmetric P: per-point Gaussian conditionals with bandwidths matching the perplexity, then (P + Pᵀ) / 2N.</summary>
    private static Tensor JointProbabilities(Tensor x, double perplexity)
    {
        long n = x.shape[0];
        var sq = x.pow(2).sum(1, keepdim: true);
        var d = (sq + sq.t() - x.matmul(x.t()) * 2.0).clamp_min(0.0);
        var diag = eye(n, dtype: ScalarType.Bool);
        // Shifting each row by its smallest off-diagonal distance keeps exp() from underflowing; P is unchanged.
        var dShift = d - d.masked_fill(diag, double.PositiveInfinity).amin(new long[] { 1 }, keepdim: true);
        dShift = dShift.masked_fill(diag, 0.0);
        var beta = ones(n, 1, dtype: ScalarType.Float64) / (d.sum() / (n * (n - 1))).clamp_min(1e-12);
        var lo = zeros(n, 1, dtype: ScalarType.Float64);
        var hi = full(new long[] { n, 1 }, double.PositiveInfinity, dtype: ScalarType.Float64);
        double target = Math.Log(perplexity);
        var offDiagonal = diag.logical_not().to_type(ScalarType.Float64);
        var cond = empty_like(d);
        var weighted = empty_like(d);
        for (int i = 0; i < 100; i++)
        {
            // One scope per bisection step; the N × N work happens in the two buffers.
            using var step = NewDisposeScope();
            cond.copy_(dShift).mul_(-beta).exp_().mul_(offDiagonal);
            var sum = cond.sum(1, keepdim: true).clamp_min(1e-300);
            var entropy = sum.log() + beta * weighted.copy_(dShift).mul_(cond).sum(1, keepdim: true) / sum;
            cond.mul_(sum.reciprocal());
            var gap = entropy - target;
            if (gap.abs().max().item<double>() < 1e-5) break;
            var tooFlat = gap.gt(0); // entropy too high → sharpen (raise beta)
            var newLo = where(tooFlat, beta, lo);
            var newHi = where(tooFlat, hi, beta);
            beta.copy_(where(newHi.isinf(), beta * 2.0, (newLo + newHi) / 2.0));
            lo.copy_(newLo);
            hi.copy_(newHi);
        }
        var p = (cond + cond.t()) / (2.0 * n);
        return p.clamp_min(1e-12);
    }
}
