using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Optimization;

/// <summary>
/// TorchSharp's AdamW with the same arithmetic, operation for operation (so results, checkpoints and state dicts are
/// identical), but every <see cref="Scalar"/> it passes to libtorch is held in a local until the call returns.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>AdamW.step</c> hands implicit Scalars (<c>add_(grad, alpha: 1 - beta1)</c>,
/// <c>addcmul_(…, value: 1 - beta2)</c>) to native calls that only receive the handle; a GC during such a call can finalise
/// the Scalar while libtorch reads it. Training crashed there ("Unknown scalar type") in runs whose steps take
/// milliseconds (docs/torchsharp-scalar-race.md). amsgrad and maximize behave as upstream.
/// </remarks>
public sealed class StableAdamW : TorchSharp.Modules.AdamW
{
    /// <summary>AdamW over parameter groups; the arguments are the defaults of groups that leave an option unset.</summary>
    public StableAdamW(IEnumerable<ParamGroup> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize) { }

    // TorchSharp's add_(Scalar) passes a fresh, unrooted alpha = 1 (docs/torchsharp-scalar-race.md): a study run crashed
    // in it ("Expected false to be true" from Scalar::toFloat), so alpha is this rooted Scalar.
    private static readonly Scalar One = 1.0.ToScalar();

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, weightDecay = options.weight_decay!.Value;
        double eps = options.eps!.Value, lr = options.LearningRate!.Value;
        bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
        using var decay = (1 - lr * weightDecay).ToScalar();
        using var b1 = beta1.ToScalar();
        using var oneMinusB1 = (1 - beta1).ToScalar();
        using var b2 = beta2.ToScalar();
        using var oneMinusB2 = (1 - beta2).ToScalar();
        using var epsilon = eps.ToScalar();
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null) continue;
            using var scope = NewDisposeScope();
            if (maximize) grad = grad.neg();
            state.step += 1;
            param.mul_(decay);
            double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
            double biasCorrection2 = 1 - Math.Pow(beta2, state.step);
            state.exp_avg.mul_(b1).add_(grad, alpha: oneMinusB1);
            state.exp_avg_sq.mul_(b2).addcmul_(grad, grad, value: oneMinusB2);
            using var sqrtBc2 = Math.Sqrt(biasCorrection2).ToScalar();
            Tensor denom;
            if (amsgrad)
            {
                var previous = state.max_exp_avg_sq;
                state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                previous.Dispose();
                denom = (state.max_exp_avg_sq.sqrt() / sqrtBc2).add_(epsilon, One);
            }
            else
            {
                denom = (state.exp_avg_sq.sqrt() / sqrtBc2).add_(epsilon, One);
            }
            using var stepSize = (-(lr / biasCorrection1)).ToScalar();
            param.addcdiv_(state.exp_avg, denom, value: stepSize);
        }
    }, closure);
}
