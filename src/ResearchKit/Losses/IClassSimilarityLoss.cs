using ResearchKit.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Losses;

/// <summary>
/// The class-similarity-loss contract: a loss of the sample-to-class similarity matrix S (N x C) and the labels.
/// What produces S (cosine to proxies, K proxies, SoftTriple centres, the CP composite) is a separate head, so a new
/// proxy loss is one class implementing this interface, and it combines with the CP structure unchanged.
/// </summary>
public interface IClassSimilarityLoss
{
    /// <summary>A short name for logs.</summary>
    string Name { get; }

    /// <summary>The loss and its named parts.</summary>
    /// <param name="similarity">S, N x C, floating point.</param>
    /// <param name="labels">N class indices in [0, C).</param>
    LossOutput Compute(Tensor similarity, Tensor labels);
}

/// <summary>A class-similarity loss that also takes per-sample class confidences (N x C in [0, 1]), e.g. Smooth Proxy-Anchor.</summary>
public interface IConfidenceWeightedLoss : IClassSimilarityLoss
{
    /// <summary>The loss with explicit confidences (no gradient flows into them).</summary>
    LossOutput Compute(Tensor similarity, Tensor labels, Tensor confidences);
}

/// <summary>Template for class-similarity losses: validates S and the labels, then calls <see cref="ComputeCore"/>.</summary>
public abstract class ClassSimilarityLoss : IClassSimilarityLoss
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public LossOutput Compute(Tensor similarity, Tensor labels)
    {
        var y = Validate(similarity, labels);
        return ComputeCore(similarity, y);
    }

    /// <summary>The loss on validated inputs; <paramref name="labels"/> are int64.</summary>
    protected abstract LossOutput ComputeCore(Tensor similarity, Tensor labels);

    /// <summary>Checks S (rank 2, N ≥ 1, C ≥ 1, finite) and the labels; returns the labels as int64.</summary>
    protected static Tensor Validate(Tensor similarity, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        if (similarity.dim() != 2 || similarity.shape[1] == 0)
            throw new ArgumentException($"expected a rank-2 similarity matrix (N x C) but got shape [{Guard.Shape(similarity)}]", nameof(similarity));
        Guard.Embeddings(similarity, nameof(similarity));
        ArgumentNullException.ThrowIfNull(labels);
        Guard.SameDevice(labels, similarity, nameof(labels), "the similarity matrix");
        return Guard.Labels(labels, similarity.shape[0], similarity.shape[1], nameof(labels));
    }

    /// <summary>A KeyValuePair helper.</summary>
    protected static KeyValuePair<string, Tensor> Part(string name, Tensor value) => new(name, value);
}
