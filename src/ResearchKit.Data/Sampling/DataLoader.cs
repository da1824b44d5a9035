using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Data;

/// <summary>A batch: images [B,C,H,W] float32 and labels [B] int64 on the loader's device, the sample indices, and its position.</summary>
/// <param name="Images">Normalized images.</param>
/// <param name="Labels">Contiguous labels.</param>
/// <param name="Indices">Indices into the split's samples.</param>
/// <param name="Position">Epoch and batch position this batch came from.</param>
public sealed record Batch(Tensor Images, Tensor Labels, int[] Indices, SamplerState Position) : IDisposable
{
    /// <summary>Disposes both tensors.</summary>
    public void Dispose() { Images.Dispose(); Labels.Dispose(); }
}

/// <summary>Options of a <see cref="DataLoader"/>.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Device of the batch tensors (CPU by default).</summary>
    public Device? Device { get; init; }
    /// <summary>Decoding threads per batch (defaults to the core count).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
    /// <summary>
    /// Batches decoded ahead of the consumer, on pool threads while it computes; 0 decodes each batch when it is asked for,
    /// on the <see cref="Workers"/> while the consumer waits. Null (the default): 0 for a split whose images are all in
    /// memory (<see cref="PixelImageSource"/>: decoding is cheap there), else 2. Why not always ahead: a decode thread that
    /// allocates can start a GC while the consumer is inside a libtorch call, and TorchSharp 0.107 then may finalise an
    /// implicit Scalar that call still reads (docs/torchsharp-scalar-race.md); with 0, no other managed thread runs
    /// while a batch trains.
    /// </summary>
    public int? Prefetch { get; init; }
    /// <summary>Seed of the per-sample augmentation randomness (the sampler has its own).</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Yields batches of a split: the sampler's plan for the epoch, decoded and transformed in parallel with
/// <see cref="DataLoaderOptions.Prefetch"/> batches decoded ahead. Fully deterministic for fixed seeds: sample
/// randomness is seeded per (seed, epoch, sample position), independent of thread timing. <see cref="State"/>
/// is the resume point; <see cref="Restore"/> it after a restart to continue with exactly the same batches.
/// </summary>
public sealed class DataLoader
{
    private readonly DataSplit _split;
    private readonly IBatchSampler _sampler;
    private readonly ImagePipeline _pipeline;
    private readonly DataLoaderOptions _options;
    private readonly long[] _labels;
    private readonly int _prefetch;

    /// <summary>A loader of <paramref name="split"/> in the batches <paramref name="sampler"/> draws, each image through <paramref name="pipeline"/>.</summary>
    public DataLoader(DataSplit split, IBatchSampler sampler, ImagePipeline pipeline, DataLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(pipeline);
        _options = options ?? new DataLoaderOptions();
        if (_options.Workers < 1) throw new ArgumentException($"Workers must be ≥ 1; got {_options.Workers}.", nameof(options));
        if (_options.Prefetch < 0) throw new ArgumentException($"Prefetch must be ≥ 0; got {_options.Prefetch}.", nameof(options));
        (_split, _sampler, _pipeline) = (split, sampler, pipeline);
        _prefetch = _options.Prefetch ?? (split.Samples.All(s => s.Source is PixelImageSource) ? 0 : 2);
        _labels = split.Samples.Select(s => (long)s.Label).ToArray();
    }

    /// <summary>The next batch to be produced.</summary>
    public SamplerState State { get; private set; }

    /// <summary>Continues from a checkpointed state.</summary>
    public void Restore(SamplerState state)
    {
        if (state.Epoch < 0 || state.Position < 0) throw new ArgumentException($"state must have Epoch, Position ≥ 0; got {state}.", nameof(state));
        State = state;
    }

    /// <summary>Batches in the current epoch.</summary>
    public int BatchesPerEpoch => _sampler.EpochPlan(State.Epoch).Count;

    /// <summary>
    /// The remaining batches of the current epoch; afterwards <see cref="State"/> is the start of the next epoch.
    /// The caller disposes each <see cref="Batch"/> (its tensors are outside any dispose scope).
    /// </summary>
    public IEnumerable<Batch> EpochBatches()
    {
        int epoch = State.Epoch;
        var plan = _sampler.EpochPlan(epoch);
        if (_prefetch == 0)
        {
            for (int position = State.Position; position < plan.Count; position++)
            {
                var batch = ToBatch(Decode(plan[position], epoch, position), plan[position], epoch, position);
                State = position + 1 < plan.Count ? new SamplerState(epoch, position + 1) : new SamplerState(epoch + 1, 0);
                yield return batch;
            }
            if (State.Epoch == epoch) State = new SamplerState(epoch + 1, 0);   // an empty epoch plan
            yield break;
        }
        var pending = new Queue<(int Position, Task<byte[]> Pixels)>();
        int next = State.Position;
        void Fill()
        {
            while (next < plan.Count && pending.Count <= _prefetch)
            {
                int p = next++;
                pending.Enqueue((p, Task.Run(() => Decode(plan[p], epoch, p))));
            }
        }
        Fill();
        while (pending.Count > 0)
        {
            var (position, task) = pending.Dequeue();
            Fill();
            var pixels = task.GetAwaiter().GetResult();   // rethrows the decoder's own exception (file named)
            var batch = ToBatch(pixels, plan[position], epoch, position);
            State = position + 1 < plan.Count ? new SamplerState(epoch, position + 1) : new SamplerState(epoch + 1, 0);
            yield return batch;
        }
        if (State.Epoch == epoch) State = new SamplerState(epoch + 1, 0);   // an empty epoch plan
    }

    private byte[] Decode(int[] indices, int epoch, int position)
    {
        int bytes = _pipeline.Size * _pipeline.Size * _pipeline.BytesPerPixel;
        var buffer = new byte[(long)indices.Length * bytes];
        try
        {
            Parallel.For(0, indices.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.Workers }, k =>
            {
                var rng = new Random(SeedMix.Of(_options.Seed, epoch, position * 1_000_003 + k));
                _pipeline.Process(_split.Samples[indices[k]].Source, rng, buffer.AsSpan(k * bytes, bytes));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            // Surface the decoder's own exception (it names the file), not the parallel wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return buffer;
    }

    private Batch ToBatch(byte[] pixels, int[] indices, int epoch, int position)
    {
        using var scope = NewDisposeScope();
        int b = indices.Length, s = _pipeline.Size, k = _pipeline.BytesPerPixel, c = _pipeline.Channels;
        var device = _options.Device ?? CPU;
        // Work channels-last while the data is contiguous (cast, noise, normalization broadcast over the last
        // axis), then one gather into [B,C,H,W]: a strided cast of the permuted bytes costs several times more.
        var x = tensor(pixels, [b, s, s, k], ScalarType.Byte).to(device).to(ScalarType.Float32);
        if (_pipeline.PixelNoiseStd > 0)
        {
            using var gen = new Generator((ulong)SeedMix.Of(_options.Seed ^ 0x5EED, epoch, position), device);
            // Rooted Scalars, not implicit ones (add_(Tensor) passes an implicit alpha = 1): the decode threads allocate
            // while this runs, and a GC then can finalise an implicit Scalar mid-call (docs/torchsharp-scalar-race.md;
            // a two-process Table I run failed here with "Expected false to be true … toFloat").
            using var std = (_pipeline.PixelNoiseStd * 255).ToScalar();
            using var one = 1.0.ToScalar();
            using var low = 0.0.ToScalar();
            using var high = 255.0.ToScalar();
            x = x.add_(randn(x.shape, generator: gen, device: device).mul_(std), one).clamp_(low, high);
        }
        var (gain, offset) = _pipeline.Normalization.ChannelsLast(k, c);
        x = x.mul_(tensor(gain, device: device)).sub_(tensor(offset, device: device)).permute(0, 3, 1, 2);
        x = (_pipeline.Normalization.Bgr && c == 3 ? x.index_select(1, tensor(new long[] { 2, 1, 0 }, device: device)) : x.narrow(1, 0, c)).contiguous();
        var labels = tensor(indices.Select(i => _labels[i]).ToArray(), device: device);
        return new Batch(x.DetachFromDisposeScope(), labels.DetachFromDisposeScope(), indices, new SamplerState(epoch, position));
    }
}
