using ResearchKit.Training.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Optimization;

/// <summary>
/// Proxy-Anchor's freezing rules: BatchNorm2d in eval mode with frozen affine parameters, and a warm-up during
/// which the backbone does not train. Frozen parameters get <c>requires_grad = false</c> and their gradient is
/// cleared, because TorchSharp's <c>zero_grad</c> zeroes rather than drops gradients and AdamW would otherwise
/// keep applying weight decay and momentum to them.
/// </summary>
public static class Freezing
{
    /// <summary>Sets <c>requires_grad</c> on parameters; freezing also drops their gradients.</summary>
    public static void SetTrainable(IEnumerable<Parameter> parameters, bool trainable)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            p.requires_grad = trainable;
            if (!trainable) p.grad = null;
        }
    }

    /// <summary>2-d BatchNorm layers of a module, TorchSharp's or the kit's <see cref="Models.StableBatchNorm"/> (Proxy-Anchor freezes only these).</summary>
    public static IEnumerable<BatchNorm> BatchNorm2dLayers(nn.Module module) =>
        module.modules().OfType<BatchNorm>().Where(bn => bn is BatchNorm2d or Models.StableBatchNorm { Spatial: true });

    /// <summary>Freezes the affine weight and bias of every BatchNorm2d (call once, after building the model).</summary>
    public static void FreezeBatchNormAffine(nn.Module module)
    {
        foreach (var bn in BatchNorm2dLayers(module))
            SetTrainable(bn.parameters(), false);
    }

    /// <summary>
    /// <c>model.train()</c>, then puts BatchNorm2d layers back in eval mode unless <paramref name="mode"/> is
    /// <see cref="BatchNormFreeze.None"/> (call at the start of every training epoch, as Proxy-Anchor does).
    /// </summary>
    public static void SetTrainMode(nn.Module model, BatchNormFreeze mode)
    {
        model.train();
        if (mode == BatchNormFreeze.None) return;
        foreach (var bn in BatchNorm2dLayers(model)) bn.eval();
    }

    /// <summary>
    /// Applies the warm-up rule for <paramref name="epoch"/> (0-based): the backbone is frozen while
    /// <c>epoch &lt; warmupEpochs</c> and trainable afterwards. With <see cref="BatchNormFreeze.EvalAndFrozenAffine"/>
    /// the BatchNorm affine parameters stay frozen after the warm-up; with
    /// <see cref="BatchNormFreeze.EvalAffineTrainedAfterWarmup"/> they are unfrozen with the rest (Proxy-Anchor's code).
    /// </summary>
    public static void ApplyWarmup(nn.Module backbone, int epoch, int warmupEpochs, BatchNormFreeze mode)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "Expected a 0-based epoch.");
        bool warm = epoch < warmupEpochs;
        SetTrainable(backbone.parameters(), !warm);
        if (!warm && mode == BatchNormFreeze.EvalAndFrozenAffine) FreezeBatchNormAffine(backbone);
    }

    /// <summary><c>clip_grad_value_</c> over parameters that have a gradient (no-op for a bound of 0).</summary>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        if (clipValue < 0) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "Expected a bound >= 0 (0 disables clipping).");
        if (clipValue == 0) return;
        // nn.utils.clip_grad_value_ with the bounds rooted for the native calls (its implicit Scalars race the GC:
        // docs/torchsharp-scalar-race.md).
        using var low = (-clipValue).ToScalar();
        using var high = clipValue.ToScalar();
        foreach (var p in parameters)
        {
            p.grad?.clamp_(low, high);
        }
    }
}
