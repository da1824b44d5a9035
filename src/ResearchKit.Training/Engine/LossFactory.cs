using ResearchKit.Losses;
using ResearchKit.Similarity;
using ResearchKit.Training.Config;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>A built objective: the module (proxies and queue buffers, for the optimizer and checkpoints) and its step API.</summary>
/// <param name="Module">The loss as a module (parameters = proxies; buffers = the CP queue).</param>
/// <param name="Objective">The same object as an <see cref="IProxyObjective"/>.</param>
/// <param name="Proxies">The proxy head (for the deviation metric).</param>
public sealed record BuiltObjective(nn.Module Module, IProxyObjective Objective, ProxySimilarity Proxies)
{
    /// <summary>
    /// The loss of a batch, with per-sample class confidences (N x C) for a confidence-weighted base loss
    /// (Smooth Proxy-Anchor) when given; without them the same as <see cref="IProxyObjective.Compute"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Confidences for an objective or base loss that takes none.</exception>
    public LossOutput Compute(Tensor embeddings, Tensor labels, int epoch, Tensor? confidences) => confidences is null
        ? Objective.Compute(embeddings, labels, epoch)
        : Objective switch
        {
            ProxyObjective plain => plain.Compute(embeddings, labels, confidences),
            CalibrateProxyObjective cp => cp.Step(embeddings, labels, epoch, confidences).Loss,
            _ => throw new ArgumentException($"the objective {Objective.GetType().Name} takes no confidences", nameof(confidences)),
        };
}

/// <summary>Maps a <see cref="LossConfig"/> to the loss core's objectives (<see cref="ProxyObjective"/> or <see cref="CalibrateProxyObjective"/>).</summary>
public static class LossFactory
{
    /// <summary>Builds the objective for <paramref name="numClasses"/> training classes and embedding size <paramref name="embeddingSize"/>.</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public static BuiltObjective Create(LossConfig config, int numClasses, int embeddingSize, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var baseLoss = BaseLoss(config);
        IProxyRegularizer? regularizer = config.Base == BaseLossKind.SoftTriple ? config.SoftTriple.CreateRegularizer() : null;
        // K and T of the head: SoftTriple's centres and γ; otherwise CP's K/T, or the plain loss's K with T = 1.
        var (k, t) = config.Base == BaseLossKind.SoftTriple
            ? (config.SoftTriple.CentersPerClass, config.SoftTriple.Gamma)
            : config.CalibrateProxy ? (config.Cp.ProxiesPerClass, config.Cp.Temperature) : (config.ProxiesPerClass, 1.0);
        var init = config.Base switch
        {
            BaseLossKind.ProxyNca => ProxyInit.StandardNormal,
            BaseLossKind.SoftTriple => ProxyInit.SoftTripleUniform,
            _ => ProxyInit.KaimingNormalFanOut,
        };
        var head = new ProxySimilarity(numClasses, embeddingSize, k, t, init, generator: generator);
        if (!config.CalibrateProxy)
        {
            var plain = new ProxyObjective(head, baseLoss, regularizer);
            return new BuiltObjective(plain, plain, head);
        }
        var cp = new CalibrateProxyObjective(head, baseLoss, config.Cp with { ProxiesPerClass = k, Temperature = t }, regularizer);
        return new BuiltObjective(cp, cp, head);
    }

    /// <summary>The base class-similarity loss of a config.</summary>
    public static IClassSimilarityLoss BaseLoss(LossConfig config) => config.Base switch
    {
        BaseLossKind.ProxyAnchor => new ProxyAnchorLoss(config.ProxyAnchor),
        BaseLossKind.ProxyNca => new ProxyNcaLoss(config.CalibrateProxy
            ? config.ProxyNca with { IncludePositive = config.CpNcaIncludePositive }
            : config.ProxyNca),
        BaseLossKind.SoftTriple => new SoftTripleLoss(config.SoftTriple),
        BaseLossKind.SmoothProxyAnchor => new SmoothProxyAnchorLoss(config.SmoothProxyAnchor),
        _ => throw new ArgumentException($"unknown base loss {config.Base}", nameof(config)),
    };
}
