using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Data;

/// <summary>
/// Seeded label-noise generators for a clean training split (spec/losses.md §8): symmetric flips (PRISM "noised")
/// and small-cluster noise (PRISM "smallclusternoised"). Both return the realised noise rate.
/// </summary>
public static class LabelNoise
{
    /// <summary>
    /// Symmetric noise: each sample independently, with probability <paramref name="rate"/>, gets a label drawn
    /// uniformly from the split's other classes. The class set is unchanged (a class left empty is dropped).
    /// </summary>
    /// <param name="clean">A clean split (its <see cref="Sample.CleanOriginalLabel"/> is the truth).</param>
    /// <param name="rate">Flip probability in [0, 1).</param>
    /// <param name="seed">Seed; the same seed gives the same flips.</param>
    public static NoisyLabelResult Symmetric(DataSplit clean, double rate, int seed)
    {
        ArgumentNullException.ThrowIfNull(clean);
        if (rate is < 0 or >= 1 || double.IsNaN(rate)) throw new ArgumentException($"rate must be in [0, 1); got {rate}.", nameof(rate));
        if (clean.ClassCount < 2 && rate > 0) throw new ArgumentException("symmetric noise needs at least 2 classes.", nameof(clean));
        var rng = new Random(seed);
        var ids = clean.ClassIds;
        var rows = clean.Samples.Select(s =>
        {
            int truth = s.CleanOriginalLabel, label = s.Label;
            if (rng.NextDouble() < rate)
            {
                // Uniform over the C-1 other labels: draw from C-1 and skip the own one.
                int other = rng.Next(ids.Count - 1);
                label = other >= s.Label ? other + 1 : other;
            }
            return (s.Source, ids[label], ids[label] != truth, truth);
        }).ToList();
        var split = DataSplit.FromOriginalLabels($"{clean.Name}+sym{rate:0.##}", rows);
        return new NoisyLabelResult(split, split.NoiseRate, 0);
    }

    /// <summary>
    /// Small-cluster noise (PRISM-style): a fraction <paramref name="rate"/> of the classes is dissolved; their images
    /// are cut into small groups (sizes 1, 2, 3, … with geometrically falling frequency), and each group takes the
    /// label of one randomly chosen intact class. Intact classes keep their images; labels are re-indexed 0-based.
    /// With <paramref name="features"/>, groups are formed from nearest neighbours (cosine) so that each group is a
    /// visually coherent cluster, as in PRISM; without, groups are random.
    /// </summary>
    /// <param name="clean">A clean split.</param>
    /// <param name="rate">Fraction of classes to dissolve, in [0, 1); at least one class stays intact.</param>
    /// <param name="seed">Seed of the dissolved classes and of the groups.</param>
    /// <param name="features">Optional per-sample features [N, D] (any device) used to group similar images.</param>
    /// <param name="growProbability">Probability that a group grows by one more image (0.35 gives mostly 1–3).</param>
    /// <param name="maxGroupSize">Images in a group at the most.</param>
    public static NoisyLabelResult SmallCluster(DataSplit clean, double rate, int seed, Tensor? features = null,
        double growProbability = 0.35, int maxGroupSize = 20)
    {
        ArgumentNullException.ThrowIfNull(clean);
        if (rate is < 0 or >= 1 || double.IsNaN(rate)) throw new ArgumentException($"rate must be in [0, 1); got {rate}.", nameof(rate));
        if (growProbability is < 0 or >= 1) throw new ArgumentException($"growProbability must be in [0, 1); got {growProbability}.", nameof(growProbability));
        if (maxGroupSize < 1) throw new ArgumentException($"maxGroupSize must be ≥ 1; got {maxGroupSize}.", nameof(maxGroupSize));
        if (features is not null && (features.dim() != 2 || features.shape[0] != clean.Count))
            throw new ArgumentException($"features must be [N={clean.Count}, D]; got [{string.Join(", ", features.shape)}].", nameof(features));
        var rng = new Random(seed);
        int c = clean.ClassCount, dissolveCount = Math.Min(c - 1, (int)Math.Round(rate * c));
        var order = Enumerable.Range(0, c).OrderBy(_ => rng.Next()).ToArray();
        var dissolved = order.Take(dissolveCount).Order().ToArray();
        var intact = order.Skip(dissolveCount).Order().ToArray();
        var newLabel = new int[clean.Count];
        for (int i = 0; i < clean.Count; i++) newLabel[i] = clean.Samples[i].Label;
        float[][]? unit = features is null ? null : UnitRows(features);
        var members = Enumerable.Range(0, clean.Count).GroupBy(i => clean.Samples[i].Label).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var cls in dissolved)
        {
            var remaining = members[cls].OrderBy(_ => rng.Next()).ToList();
            while (remaining.Count > 0)
            {
                int size = 1;
                while (size < maxGroupSize && rng.NextDouble() < growProbability) size++;
                size = Math.Min(size, remaining.Count);
                var group = TakeGroup(remaining, size, unit);
                int target = intact[rng.Next(intact.Length)];
                foreach (var i in group) newLabel[i] = target;
            }
        }
        var ids = clean.ClassIds;
        var rows = clean.Samples.Select((s, i) => (s.Source, ids[newLabel[i]], ids[newLabel[i]] != s.CleanOriginalLabel, s.CleanOriginalLabel));
        var split = DataSplit.FromOriginalLabels($"{clean.Name}+cluster{rate:0.##}", rows);
        return new NoisyLabelResult(split, split.NoiseRate, 0);
    }

    // Takes the first remaining sample (random order) and, with features, its nearest remaining neighbours.
    private static List<int> TakeGroup(List<int> remaining, int size, float[][]? unit)
    {
        int seed = remaining[0];
        if (unit is null || size == 1)
        {
            var g = remaining.Take(size).ToList();
            remaining.RemoveRange(0, size);
            return g;
        }
        var nearest = remaining.Skip(1).OrderByDescending(j => Dot(unit[seed], unit[j])).ThenBy(j => j).Take(size - 1).ToList();
        var group = new List<int> { seed };
        group.AddRange(nearest);
        remaining.RemoveAll(group.Contains);
        return group;
    }

    private static float[][] UnitRows(Tensor features)
    {
        using var scope = NewDisposeScope();
        var f = features.detach().to(ScalarType.Float32).cpu();
        f = nn.functional.normalize(f, p: 2, dim: 1);
        var flat = f.data<float>().ToArray();
        int d = (int)f.shape[1];
        return Enumerable.Range(0, (int)f.shape[0]).Select(i => flat.AsSpan(i * d, d).ToArray()).ToArray();
    }

    private static float Dot(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
