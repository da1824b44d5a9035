namespace ResearchKit.Data;

/// <summary>Where a loader is in its stream of batches: the epoch and the next batch position in it. Checkpoint it to resume identically.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Position">Index of the next batch within the epoch.</param>
public readonly record struct SamplerState(int Epoch, int Position);

/// <summary>
/// Decides which sample indices form each batch of an epoch. A pure function of (seed, epoch): the same epoch
/// always gives the same plan, which is what makes resuming from a <see cref="SamplerState"/> exact.
/// </summary>
public interface IBatchSampler
{
    /// <summary>The batches of <paramref name="epoch"/>, in order.</summary>
    IReadOnlyList<int[]> EpochPlan(int epoch);
}

/// <summary>Sampler seeds: one <see cref="Random"/> per (seed, epoch), mixed so neighbouring seeds do not correlate.</summary>
internal static class SeedMix
{
    public static int Of(int seed, int a, int b = 0)
    {
        ulong x = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)a * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)b * 0x94D049BB133111EBUL);
        x ^= x >> 31; x *= 0xD6E8FEB86659FD93UL; x ^= x >> 32;
        return (int)(x & 0x7FFFFFFF);
    }

    public static void Shuffle(int[] a, Random rng)
    {
        for (int i = a.Length - 1; i > 0; i--) { int j = rng.Next(i + 1); (a[i], a[j]) = (a[j], a[i]); }
    }
}

/// <summary>The paper's protocol: a fresh random permutation each epoch, cut into batches.</summary>
public sealed class RandomBatchSampler : IBatchSampler
{
    private readonly int _count, _batchSize, _seed;
    private readonly bool _dropLast;

    /// <summary>Uniform batches over a shuffled order of <paramref name="count"/> samples, reshuffled every epoch.</summary>
    /// <param name="count">Samples in the split.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="seed">Seed of the shuffles (epoch e shuffles with a generator derived from it and e).</param>
    /// <param name="dropLast">Drop a last, smaller batch (training) or keep it.</param>
    public RandomBatchSampler(int count, int batchSize, int seed, bool dropLast = true)
    {
        if (count < 1) throw new ArgumentException($"count must be ≥ 1; got {count}.", nameof(count));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; got {batchSize}.", nameof(batchSize));
        if (dropLast && batchSize > count) throw new ArgumentException($"batchSize {batchSize} exceeds the {count} samples with dropLast.", nameof(batchSize));
        (_count, _batchSize, _seed, _dropLast) = (count, batchSize, seed, dropLast);
    }

    /// <inheritdoc />
    public IReadOnlyList<int[]> EpochPlan(int epoch)
    {
        var perm = Enumerable.Range(0, _count).ToArray();
        SeedMix.Shuffle(perm, new Random(SeedMix.Of(_seed, epoch)));
        return Chunk(perm, _batchSize, _dropLast);
    }

    internal static IReadOnlyList<int[]> Chunk(int[] order, int batchSize, bool dropLast) =>
        order.Chunk(batchSize).Where(b => !dropLast || b.Length == batchSize).ToList();
}

/// <summary>All samples in order (evaluation, feature extraction).</summary>
/// <param name="Count">Number of samples.</param>
/// <param name="BatchSize">Batch size (the last batch may be smaller).</param>
public sealed record SequentialBatchSampler(int Count, int BatchSize) : IBatchSampler
{
    /// <inheritdoc />
    public IReadOnlyList<int[]> EpochPlan(int epoch) => RandomBatchSampler.Chunk(Enumerable.Range(0, Count).ToArray(), BatchSize, false);
}

/// <summary>
/// m-per-class sampling: each batch holds batchSize/m classes with m samples each. Per epoch, every class's samples
/// are shuffled and cut into groups of m (a class with fewer than m, or a short last group, is topped up by
/// sampling that class again); the groups are shuffled and packed into batches with distinct classes.
/// </summary>
public sealed class MPerClassSampler : IBatchSampler
{
    private readonly int[][] _byClass;
    private readonly int _m, _batchSize, _seed;

    /// <summary>Batches of <paramref name="batchSize"/> / <paramref name="m"/> classes with <paramref name="m"/> samples each.</summary>
    /// <param name="labels">Label of each sample (contiguous or not).</param>
    /// <param name="m">Samples per class in a batch.</param>
    /// <param name="batchSize">Batch size, a multiple of <paramref name="m"/>.</param>
    /// <param name="seed">Seed of the class and sample draws.</param>
    public MPerClassSampler(IReadOnlyList<int> labels, int m, int batchSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (m < 1) throw new ArgumentException($"m must be ≥ 1; got {m}.", nameof(m));
        if (batchSize < m || batchSize % m != 0) throw new ArgumentException($"batchSize must be a positive multiple of m={m}; got {batchSize}.", nameof(batchSize));
        _byClass = Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        if (_byClass.Length < batchSize / m) throw new ArgumentException($"batchSize/m = {batchSize / m} classes per batch, but there are only {_byClass.Length} classes.", nameof(batchSize));
        (_m, _batchSize, _seed) = (m, batchSize, seed);
    }

    /// <inheritdoc />
    public IReadOnlyList<int[]> EpochPlan(int epoch)
    {
        var rng = new Random(SeedMix.Of(_seed, epoch));
        var groups = new List<(int Class, int[] Members)>();
        for (int c = 0; c < _byClass.Length; c++)
        {
            var members = (int[])_byClass[c].Clone();
            SeedMix.Shuffle(members, rng);
            for (int start = 0; start < members.Length; start += _m)
            {
                var g = members.Skip(start).Take(_m).ToList();
                while (g.Count < _m) g.Add(members[rng.Next(members.Length)]);
                groups.Add((c, g.ToArray()));
            }
        }
        var order = Enumerable.Range(0, groups.Count).ToArray();
        SeedMix.Shuffle(order, rng);
        // Greedy packing: take the next group whose class is not yet in the batch; the rest wait for later batches.
        int perBatch = _batchSize / _m;
        var pending = new LinkedList<int>(order);
        var batches = new List<int[]>();
        while (pending.Count >= perBatch)
        {
            var used = new HashSet<int>();
            var batch = new List<int>(_batchSize);
            for (var node = pending.First; node is not null && used.Count < perBatch;)
            {
                var next = node.Next;
                var g = groups[node.Value];
                if (used.Add(g.Class)) { batch.AddRange(g.Members); pending.Remove(node); }
                node = next;
            }
            if (used.Count < perBatch) break;   // only repeats of too few classes are left
            batches.Add(batch.ToArray());
        }
        return batches;
    }
}
