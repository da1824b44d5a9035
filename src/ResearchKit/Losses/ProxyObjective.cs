using ResearchKit.Internal;
using ResearchKit.Similarity;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// A plain proxy objective: head → S → class-similarity loss, plus an optional proxy regulariser
/// (total = loss + weight · regulariser). E.g. Proxy Anchor, Proxy-NCA, or SoftTriple with its τ term.
/// Parts: the loss's parts, then <see cref="LossParts.Regularizer"/> (unweighted) when defined.
/// </summary>
public sealed class ProxyObjective : nn.Module, IProxyObjective
{
    private readonly ClassSimilarityHead head;   // submodule: its proxies are in parameters() and state_dict
    private readonly IClassSimilarityLoss loss;
    private readonly IProxyRegularizer? regularizer;

    /// <summary>Creates the objective.</summary>
    /// <param name="head">Produces S.</param>
    /// <param name="loss">The class-similarity loss.</param>
    /// <param name="regularizer">Optional; requires a <see cref="ProxySimilarity"/> head.</param>
    public ProxyObjective(ClassSimilarityHead head, IClassSimilarityLoss loss, IProxyRegularizer? regularizer = null)
        : base(nameof(ProxyObjective))
    {
        this.head = head ?? throw new ArgumentNullException(nameof(head));
        this.loss = loss ?? throw new ArgumentNullException(nameof(loss));
        if (regularizer is not null && head is not ProxySimilarity)
            throw new ArgumentException("a proxy regulariser needs a ProxySimilarity head", nameof(regularizer));
        this.regularizer = regularizer;
        RegisterComponents();
    }

    /// <summary>The similarity head.</summary>
    public ClassSimilarityHead Head => head;

    /// <summary>The class-similarity loss.</summary>
    public IClassSimilarityLoss Loss => loss;

    /// <inheritdoc/>
    public IEnumerable<Parameter> ProxyParameters() => head.ProxyParameters();

    /// <inheritdoc/>
    public LossOutput Compute(Tensor embeddings, Tensor labels, int epoch = 0) => Compute(embeddings, labels, null);

    /// <summary>The loss with optional per-sample class confidences (for an <see cref="IConfidenceWeightedLoss"/>).</summary>
    public LossOutput Compute(Tensor embeddings, Tensor labels, Tensor? confidences)
    {
        var s = head.call(embeddings);
        var output = ObjectiveParts.Base(loss, s, labels, confidences);
        if (regularizer is null) return output;
        var proxyHead = (ProxySimilarity)head;
        var r = regularizer.Compute(proxyHead.Proxies, proxyHead.ProxiesPerClass);
        if (r is null) return output;
        var parts = output.PartList.ToList();
        parts.Add(new(LossParts.Regularizer, r));
        var total = regularizer.Weight > 0 ? output.Total + regularizer.Weight * r : output.Total;
        return new LossOutput(total, parts, output.Diagnostics.ToList());
    }
}

/// <summary>Shared step pieces of the objectives.</summary>
internal static class ObjectiveParts
{
    /// <summary>Dispatches to the confidence-weighted overload when confidences are given.</summary>
    public static LossOutput Base(IClassSimilarityLoss loss, Tensor similarity, Tensor labels, Tensor? confidences)
    {
        if (confidences is null) return loss.Compute(similarity, labels);
        if (loss is not IConfidenceWeightedLoss weighted)
            throw new ArgumentException($"the loss '{loss.Name}' takes no confidences", nameof(confidences));
        return weighted.Compute(similarity, labels, confidences);
    }
}
