using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Losses;

/// <summary>Central finite differences (float64) against autograd for every element of the given leaf tensors.</summary>
internal static class GradCheck
{
    /// <param name="loss">Computes the scalar from the current leaf values; must be a pure function of them.</param>
    /// <param name="leaves">float64 leaves (requires_grad) whose gradients are checked.</param>
    public static void Check(Func<Tensor> loss, IReadOnlyList<Tensor> leaves, string what, double eps = 1e-6, double rtol = 1e-4, double atolRel = 1e-6)
    {
        foreach (var leaf in leaves)
        {
            Assert.Equal(ScalarType.Float64, leaf.dtype);
            leaf.grad?.zero_();
        }
        using (var scope = NewDisposeScope()) loss().backward();
        var analytic = leaves.Select(l => (l.grad ?? zeros_like(l)).detach().clone().view(-1).data<double>().ToArray()).ToList();
        double scale = analytic.SelectMany(a => a).Select(Math.Abs).DefaultIfEmpty(0).Max();
        Assert.True(scale > 0, $"{what}: the analytic gradient is identically zero, so the check would be empty");

        using var noGrad = no_grad();
        for (int l = 0; l < leaves.Count; l++)
        {
            var flat = leaves[l].view(-1);
            for (long i = 0; i < flat.shape[0]; i++)
            {
                double original = flat[i].item<double>();
                flat[i] = tensor(original + eps, ScalarType.Float64);
                double plus = Eval(loss);
                flat[i] = tensor(original - eps, ScalarType.Float64);
                double minus = Eval(loss);
                flat[i] = tensor(original, ScalarType.Float64);
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[l][i];
                Assert.True(Math.Abs(numeric - a) <= rtol * Math.Abs(a) + atolRel * scale,
                    $"{what}: leaf {l} element {i}: autograd {a:R} vs finite difference {numeric:R}");
            }
        }
    }

    private static double Eval(Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        return loss().item<double>();
    }
}
