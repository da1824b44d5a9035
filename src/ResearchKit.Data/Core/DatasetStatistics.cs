namespace ResearchKit.Data;

/// <summary>Size statistics of one split.</summary>
/// <param name="Images">Number of images.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="MinPerClass">Fewest images in a class.</param>
/// <param name="MedianPerClass">Median images per class.</param>
/// <param name="MaxPerClass">Most images in a class.</param>
/// <param name="NoiseRate">Fraction of images with a wrong label (0 for clean splits).</param>
public sealed record SplitStatistics(int Images, int Classes, int MinPerClass, double MedianPerClass, int MaxPerClass, double NoiseRate)
{
    /// <summary>Computes the statistics of a split.</summary>
    public static SplitStatistics Of(DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var counts = split.ClassCounts.Order().ToArray();
        double median = counts.Length == 0 ? 0
            : counts.Length % 2 == 1 ? counts[counts.Length / 2] : (counts[counts.Length / 2 - 1] + counts[counts.Length / 2]) / 2.0;
        return new(split.Count, split.ClassCount, counts.FirstOrDefault(), median, counts.LastOrDefault(), split.NoiseRate);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Images} images, {Classes} classes, per class min/median/max {MinPerClass}/{MedianPerClass:0.#}/{MaxPerClass}" +
        (NoiseRate > 0 ? $", noise {NoiseRate:P1}" : "");
}

/// <summary>Statistics of a zero-shot data set.</summary>
/// <param name="Name">Data set name.</param>
/// <param name="Train">Training split statistics.</param>
/// <param name="Test">Test split statistics.</param>
public sealed record DatasetStatistics(string Name, SplitStatistics Train, SplitStatistics Test)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}\n  train: {Train}\n  test:  {Test}";
}
