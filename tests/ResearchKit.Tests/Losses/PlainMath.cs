using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// Reference formulas with plain doubles and loops, independent of TorchSharp and of the kit's tensor code, for value tests
/// of the classification-style proxy losses.
/// </summary>
internal static class PlainMath
{
    /// <summary>
    /// Softmax cross-entropy over l_ic = s·(S_ic − m·[c = y_i]): loss = mean_i [log Σ_c e^{l_ic} − l_iy] (with a max shift),
    /// and its gradient dL/dS_ic = s·(softmax(l_i)_c − [c = y_i]) / N.
    /// </summary>
    public static (double Loss, double[,] Grad) MarginSoftmax(double[,] s, long[] y, double scale, double margin)
    {
        int n = s.GetLength(0), c = s.GetLength(1);
        double total = 0;
        var grad = new double[n, c];
        var logits = new double[c];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < c; j++) logits[j] = scale * (s[i, j] - (j == y[i] ? margin : 0));
            double max = logits.Max();
            double sum = logits.Sum(l => Math.Exp(l - max));
            total += max + Math.Log(sum) - logits[y[i]];
            for (int j = 0; j < c; j++) grad[i, j] = scale * (Math.Exp(logits[j] - max) / sum - (j == y[i] ? 1 : 0)) / n;
        }
        return (total / n, grad);
    }

    /// <summary>Cosines x̂ p̂ᵀ (rows of x against rows of p).</summary>
    public static double[,] Cosines(double[,] x, double[,] p)
    {
        static double[] Unit(double[,] m, int r)
        {
            var v = Enumerable.Range(0, m.GetLength(1)).Select(k => m[r, k]).ToArray();
            double norm = Math.Sqrt(v.Sum(a => a * a));
            return v.Select(a => a / norm).ToArray();
        }
        var s = new double[x.GetLength(0), p.GetLength(0)];
        for (int i = 0; i < x.GetLength(0); i++)
        {
            var xi = Unit(x, i);
            for (int j = 0; j < p.GetLength(0); j++) s[i, j] = xi.Zip(Unit(p, j), (a, b) => a * b).Sum();
        }
        return s;
    }

    /// <summary>A rows x cols matrix uniform in (−scale, scale).</summary>
    public static double[,] Random2D(Random rng, int rows, int cols, double scale = 1)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) m[i, j] = (rng.NextDouble() * 2 - 1) * scale;
        return m;
    }

    /// <summary>The matrix as a tensor of <paramref name="dtype"/> (rounded from float64).</summary>
    public static Tensor ToTensor(double[,] m, ScalarType dtype) =>
        tensor(m.Cast<double>().ToArray(), new long[] { m.GetLength(0), m.GetLength(1) }, ScalarType.Float64).to_type(dtype);

    /// <summary>Asserts a loss output's value and dL/dS against the reference, within <paramref name="rtol"/>.</summary>
    public static void AssertMatches(ResearchKit.Losses.LossOutput output, Tensor similarity, (double Loss, double[,] Grad) expected, double rtol)
    {
        double actual = output.TotalValue;
        Assert.True(Math.Abs(actual - expected.Loss) <= rtol * Math.Abs(expected.Loss) + 1e-15, $"loss {actual:R} vs formula {expected.Loss:R}");
        int c = expected.Grad.GetLength(1);
        var grad = similarity.grad!.to_type(ScalarType.Float64).data<double>().ToArray();
        double scale = expected.Grad.Cast<double>().Max(Math.Abs);
        for (int k = 0; k < grad.Length; k++)
        {
            double e = expected.Grad[k / c, k % c];
            Assert.True(Math.Abs(grad[k] - e) <= rtol * scale * 10, $"dL/dS[{k / c},{k % c}]: {grad[k]:R} vs formula {e:R}");
        }
        var perSample = output.Diagnostics[ResearchKit.Losses.LossDiagnostics.PerSampleLoss].to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(similarity.shape[0], perSample.Length);
        Assert.True(Math.Abs(perSample.Average() - expected.Loss) <= rtol * Math.Abs(expected.Loss) * 10 + 1e-12, "per-sample losses average to the loss");
    }
}
