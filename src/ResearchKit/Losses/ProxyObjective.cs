using ResearchKit.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// A plain proxy objective: head → S → class-similarity loss, plus an optional proxy regulariser
/// (total = loss + weight · regulariser). E.g. Proxy Anchor, Proxy-NCA, or SoftTriple with its τ term.
/// The epoch of the step is not used. Parts: the loss's parts, then <see cref="LossParts.Regularizer"/> (unweighted) when defined.
/// </summary>
public sealed class ProxyObjective : ProxyObjectiveModule
{
    private readonly ProxySimilarity head;   // submodule: its proxies are in parameters() and state_dict
    private readonly IClassSimilarityLoss loss;
    private readonly IProxyRegularizer? regularizer;

    /// <summary>Creates the objective.</summary>
    /// <param name="head">Produces S.</param>
    /// <param name="loss">The class-similarity loss.</param>
    /// <param name="regularizer">Optional proxy regulariser on the head's proxies.</param>
    public ProxyObjective(ProxySimilarity head, IClassSimilarityLoss loss, IProxyRegularizer? regularizer = null)
        : base(nameof(ProxyObjective))
    {
        this.head = head ?? throw new ArgumentNullException(nameof(head));
        this.loss = loss ?? throw new ArgumentNullException(nameof(loss));
        this.regularizer = regularizer;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override ProxySimilarity Head => head;

    /// <summary>The class-similarity loss.</summary>
    public IClassSimilarityLoss Loss => loss;

    /// <summary>The loss of a batch; <paramref name="step"/>'s confidences go to a confidence-weighted loss.</summary>
    public override LossOutput forward(Tensor embeddings, Tensor labels, ObjectiveStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        _ = step.CheckedEpoch;
        var output = ObjectiveParts.Base(loss, head.call(embeddings), labels, step.Confidences);
        if (regularizer is null) return output;
        var parts = output.PartList.ToList();
        var total = ObjectiveParts.AddRegularizer(output.Total, regularizer, head, parts);
        return new LossOutput(total, parts, output.Diagnostics.ToList());
    }
}

/// <summary>Step pieces both objectives share.</summary>
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

    /// <summary>
    /// Adds a proxy regulariser to <paramref name="loss"/>: appends its unweighted value to <paramref name="parts"/> and
    /// returns loss + weight · R (weight 0 reports R without adding it); returns <paramref name="loss"/> when R is undefined.
    /// </summary>
    public static Tensor AddRegularizer(Tensor loss, IProxyRegularizer? regularizer, ProxySimilarity head, List<KeyValuePair<string, Tensor>> parts)
    {
        var r = regularizer?.Compute(head.Proxies, head.ProxiesPerClass);
        if (r is null) return loss;
        parts.Add(new(LossParts.Regularizer, r));
        return regularizer!.Weight > 0 ? loss + regularizer.Weight * r : loss;
    }
}
