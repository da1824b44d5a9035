using ResearchKit.Similarity;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>What one training step tells an objective besides the batch.</summary>
/// <param name="Epoch">The 0-based epoch (the CP queue is used from its start epoch on).</param>
/// <param name="Confidences">Optional N x C per-sample class confidences for a confidence-weighted loss
/// (<see cref="IConfidenceWeightedLoss"/>); an objective whose loss takes none rejects them.</param>
public sealed record ObjectiveStep(int Epoch, Tensor? Confidences = null)
{
    /// <summary>A step in epoch 0 without confidences.</summary>
    public static ObjectiveStep First { get; } = new(0);

    /// <summary>The epoch, checked to be ≥ 0.</summary>
    internal int CheckedEpoch => Epoch >= 0 ? Epoch
        : throw new ArgumentOutOfRangeException("epoch", Epoch, "expected an epoch >= 0");
}

/// <summary>
/// The one objective contract: a TorchSharp module that turns raw embeddings (N x D) and labels (N) into a
/// <see cref="LossOutput"/> in one call, <c>objective.call(embeddings, labels, step)</c>. Its parameters are the proxies
/// (and its buffers, e.g. the CP queue, go into <c>state_dict</c>); <see cref="Head"/> exposes the proxy head for metrics
/// such as the proxy–center deviation.
/// </summary>
public abstract class ProxyObjectiveModule : nn.Module<Tensor, Tensor, ObjectiveStep, LossOutput>
{
    /// <summary>Creates the module with its TorchSharp name.</summary>
    protected ProxyObjectiveModule(string name) : base(name) { }

    /// <summary>The proxy head (s^p).</summary>
    public abstract ProxySimilarity Head { get; }

    /// <summary>The trainable proxies, for their own optimizer group (100× lr in the Proxy Anchor recipe).</summary>
    public IEnumerable<Parameter> ProxyParameters() => Head.ProxyParameters();
}
