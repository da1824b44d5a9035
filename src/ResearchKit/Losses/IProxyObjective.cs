using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// What a training loop needs from a proxy-based objective: the loss of a batch of raw embeddings, and the proxy
/// parameters for their own optimizer group (100× lr in the Proxy Anchor recipe).
/// </summary>
public interface IProxyObjective
{
    /// <summary>The loss of a batch at <paramref name="epoch"/> (0-based).</summary>
    /// <param name="embeddings">Raw embeddings, N x D.</param>
    /// <param name="labels">N class indices.</param>
    /// <param name="epoch">The current epoch; objectives with a start epoch use it.</param>
    LossOutput Compute(Tensor embeddings, Tensor labels, int epoch);

    /// <summary>The trainable proxies.</summary>
    IEnumerable<Parameter> ProxyParameters();
}
