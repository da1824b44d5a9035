namespace ResearchKit.Data;

/// <summary>
/// One image of a data split: where its pixels come from, its contiguous 0-based label within the split,
/// the original (data-set) class id of that label, and whether the label is known to be wrong.
/// </summary>
/// <param name="Source">Where the pixels come from (a file or an in-memory buffer).</param>
/// <param name="Label">Contiguous 0-based class index within the split; what a loss sees.</param>
/// <param name="OriginalLabel">The data set's own class id of <paramref name="Label"/> (e.g. CUB 1..200).</param>
/// <param name="IsNoisy">True when <paramref name="OriginalLabel"/> differs from the image's true class.</param>
/// <param name="CleanOriginalLabel">The image's true original class id (equals <paramref name="OriginalLabel"/> for clean samples).</param>
public sealed record Sample(ImageSource Source, int Label, int OriginalLabel, bool IsNoisy, int CleanOriginalLabel);
