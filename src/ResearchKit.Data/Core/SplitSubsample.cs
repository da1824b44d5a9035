namespace ResearchKit.Data;

/// <summary>How <see cref="SplitSubsample"/> reduced a split.</summary>
public enum SubsampleMode
{
    /// <summary>The whole split was kept.</summary>
    None,
    /// <summary>Every k-th class (in original-id order), each with all its images: many small classes (SOP).</summary>
    WholeClasses,
    /// <summary>Every class, each thinned to every k-th of its images (at least 2): few large classes (Fashion-MNIST).</summary>
    WithinClasses,
}

/// <summary>
/// A split reduced deterministically to a size an evaluation can afford, and what was kept. Retrieval metrics are
/// meaningless on classes thinned to single images, so many small classes are sampled whole; thinning within
/// classes is used only when whole-class sampling would leave too few classes to retrieve among.
/// </summary>
/// <param name="Split">The reduced split (labels re-indexed 0..C'-1, original ids kept).</param>
/// <param name="Mode">How it was reduced.</param>
/// <param name="Step">The k of "every k-th class" or "every k-th image of each class" (1 for <see cref="SubsampleMode.None"/>).</param>
/// <param name="OriginalImages">Images of the full split.</param>
/// <param name="OriginalClasses">Classes of the full split.</param>
public sealed record SplitSubsample(DataSplit Split, SubsampleMode Mode, int Step, int OriginalImages, int OriginalClasses)
{
    /// <summary>Default for the fewest classes a whole-class subsample must keep.</summary>
    public const int DefaultMinClasses = 100;

    /// <summary>Images kept.</summary>
    public int Images => Split.Count;
    /// <summary>Classes kept.</summary>
    public int Classes => Split.ClassCount;
    /// <summary>True when the split was reduced.</summary>
    public bool IsSubsample => Mode != SubsampleMode.None;

    /// <summary>
    /// The split itself when it has at most <paramref name="maxImages"/> images; otherwise every k-th class whole, with
    /// the smallest k that fits, when that keeps at least <paramref name="minClasses"/> classes; otherwise every class
    /// thinned to every k-th image.
    /// </summary>
    /// <param name="split">The split.</param>
    /// <param name="maxImages">Image budget (at least 2).</param>
    /// <param name="minClasses">Fewest classes a whole-class subsample may keep (at least 2).</param>
    public static SplitSubsample Of(DataSplit split, int maxImages, int minClasses = DefaultMinClasses)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (maxImages < 2) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "expected at least 2 images.");
        if (minClasses < 2) throw new ArgumentOutOfRangeException(nameof(minClasses), minClasses, "expected at least 2 classes.");
        if (split.Count <= maxImages) return new(split, SubsampleMode.None, 1, split.Count, split.ClassCount);
        int step = (split.Count + maxImages - 1) / maxImages;
        var (images, classes) = KeptByClassStep(split, step);
        while (images > maxImages && classes > 1) (images, classes) = KeptByClassStep(split, ++step);
        return images <= maxImages && classes >= minClasses
            ? WholeClasses(split, step)
            : WithinClasses(split, (split.Count + maxImages - 1) / maxImages);
    }

    /// <summary>Keeps the classes whose contiguous label is a multiple of <paramref name="step"/>, each with all its images.</summary>
    public static SplitSubsample WholeClasses(DataSplit split, int step)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "expected a step of at least 1.");
        var rows = split.Samples.Where(s => s.Label % step == 0).Select(Row);
        return new(DataSplit.FromOriginalLabels($"{split.Name}-classes-every-{step}", rows), SubsampleMode.WholeClasses, step, split.Count, split.ClassCount);
    }

    /// <summary>Keeps every class, each with its images at in-class positions that are multiples of <paramref name="step"/> (at least its first two).</summary>
    public static SplitSubsample WithinClasses(DataSplit split, int step)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "expected a step of at least 1.");
        var seen = new int[split.ClassCount];
        var rows = new List<(ImageSource, int, bool, int)>();
        foreach (var s in split.Samples)
        {
            int k = seen[s.Label]++;
            // A class needs two images for any query of it to have a relevant reference.
            if (k % step == 0 || (k == 1 && split.ClassCounts[s.Label] <= step)) rows.Add(Row(s));
        }
        return new(DataSplit.FromOriginalLabels($"{split.Name}-images-every-{step}", rows), SubsampleMode.WithinClasses, step, split.Count, split.ClassCount);
    }

    private static (ImageSource, int, bool, int) Row(Sample s) => (s.Source, s.OriginalLabel, s.IsNoisy, s.CleanOriginalLabel);

    private static (int Images, int Classes) KeptByClassStep(DataSplit split, int step)
    {
        int images = 0, classes = 0;
        for (int c = 0; c < split.ClassCount; c += step) { images += split.ClassCounts[c]; classes++; }
        return (images, classes);
    }

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        SubsampleMode.None => $"all {Images:N0} images ({Classes:N0} classes)",
        SubsampleMode.WholeClasses => $"{Images:N0} of {OriginalImages:N0} images: {Classes:N0} of {OriginalClasses:N0} classes, whole (every {Step}th class)",
        _ => $"{Images:N0} of {OriginalImages:N0} images: every {Step}th image of each of the {Classes:N0} classes",
    };
}
