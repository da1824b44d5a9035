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
}
