using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// BatchNorm with PyTorch's semantics and state (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>,
/// <c>num_batches_tracked</c>), used by every backbone of the kit instead of TorchSharp's <c>BatchNorm1d/2d</c>.
/// Why: TorchSharp 0.107's <c>BatchNorm.forward</c> increments <c>num_batches_tracked</c> with <c>add_(1)</c>, whose
/// implicitly converted <see cref="Scalar"/>s are left to the finaliser; a GC during that native call can free them
/// while libtorch reads them (dotnet/TorchSharp PRs #1434, #1496). Measured: under GC pressure on a loaded 2-core machine
/// TorchSharp's layer failed after ~200k training forwards ("argument alpha must not be a floating point number",
/// "Unknown scalar type"; it failed 3 of 14 smoke runs of notebook 05). This layer keeps its Scalars in fields and
/// passes momentum and eps as doubles (<c>bench … scalar-race</c> reproduces both).
/// </summary>
public sealed class StableBatchNorm : BatchNorm
{
    private readonly Scalar one = 1L;   // rooted by the module, so never finalised mid-call
    private readonly int[] ranks;

    private StableBatchNorm(long features, double eps, double momentum, int[] ranks, string name)
        : base(features, eps, momentum, true, true, null, null, name)
    {
        this.ranks = ranks;
    }

    /// <summary>Like <c>nn.BatchNorm2d</c>: (N, C, H, W) inputs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive <paramref name="features"/> or eps, momentum outside [0, 1].</exception>
    public static StableBatchNorm For2d(long features, double eps = 1e-5, double momentum = 0.1) =>
        new(Checked(features, eps, momentum), eps, momentum, [4], "BatchNorm2d");

    /// <summary>Like <c>nn.BatchNorm1d</c>: (N, C) or (N, C, L) inputs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive <paramref name="features"/> or eps, momentum outside [0, 1].</exception>
    public static StableBatchNorm For1d(long features, double eps = 1e-5, double momentum = 0.1) =>
        new(Checked(features, eps, momentum), eps, momentum, [2, 3], "BatchNorm1d");

    /// <summary>Whether this is the 2-d (image) form; Proxy-Anchor's freezing rules apply to these only.</summary>
    public bool Spatial => ranks.Contains(4);

    private static long Checked(long features, double eps, double momentum)
    {
        if (features <= 0) throw new ArgumentOutOfRangeException(nameof(features), features, "Expected a positive channel count.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "Expected eps > 0.");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Expected momentum in [0, 1].");
        return features;
    }

    /// <inheritdoc/>
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (!ranks.Contains((int)input.dim()) || input.shape[1] != num_features)
            throw new ArgumentException(
                $"Expected input of rank {string.Join(" or ", ranks)} with {num_features} channels in dim 1; got ({string.Join(", ", input.shape)}).",
                nameof(input));
    }

    /// <summary>Normalises with batch statistics (training; running statistics updated) or running statistics (eval).</summary>
    /// <exception cref="ArgumentException">Wrong rank or channel count.</exception>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateInputDimensions(input);
        if (training)
        {
            using var _ = no_grad();
            num_batches_tracked!.add_(one, one);
        }
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum!.Value, eps);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) one.Dispose();
        base.Dispose(disposing);
    }
}
