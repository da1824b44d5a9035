namespace ResearchKit.Similarity;

/// <summary>CP Eq. 2: how s^p and s^g combine into S for a class whose queue is used (switch <c>composite</c>).</summary>
public enum CompositeMode
{
    /// <summary>S = s^p + s^g (primary; the prose says "summed").</summary>
    Sum,
    /// <summary>S = (s^p + s^g) / 2.</summary>
    Mean,
}

/// <summary>CP Eq. 3: the sample–global-center similarity s^g (switch <c>sg_mode</c>).</summary>
public enum CenterSimilarityMode
{
    /// <summary>Mean cosine to the stored entries = x̂ · ḡ with the un-renormalised mean ḡ (primary).</summary>
    MeanCos,
    /// <summary>Cosine to the mean: x̂ · ḡ / ||ḡ||.</summary>
    CosToMean,
    /// <summary>
    /// Not the paper's: the cosine between x̂ − μ and ḡ − μ, μ the mean of every queued entry (all classes). When the
    /// embeddings fill a narrow cone, plain s^g is large for every class; centring removes the shared direction, so s^g
    /// ranks classes like s^p does (issue 13's anisotropy). Empty classes keep s^g = 0.
    /// </summary>
    CenteredCos,
}

/// <summary>Which classes of a sample get s^g added (not in the paper, which adds it for every class with a queue).</summary>
public enum CenterClasses
{
    /// <summary>Every class whose queue is used (primary).</summary>
    All,
    /// <summary>
    /// The sample's own class only: a centre-loss-like pull towards its class's queue mean, with no push from the other
    /// classes' means (which, in a narrow cone, are all close). Needs the labels.
    /// </summary>
    OwnClass,
}
