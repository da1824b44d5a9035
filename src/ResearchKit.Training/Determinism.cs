using static TorchSharp.torch;

namespace ResearchKit.Training;

/// <summary>
/// Reproducibility helpers. <c>torch.use_deterministic_algorithms</c> is a stub in TorchSharp (platform.md §5.6),
/// so determinism on CPU rests on seeding torch and the samplers' <see cref="Random"/>, and pinning the thread count.
/// </summary>
public static class Determinism
{
    /// <summary>Seeds torch's default generator and returns a <see cref="Random"/> seeded the same way (for samplers/shuffles).</summary>
    public static Random Seed(int seed)
    {
        manual_seed(seed);
        return new Random(seed);
    }

    /// <summary>Pins libtorch's intra-op threads (0 leaves the default).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public static void SetThreads(int threads)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Expected >= 0 (0 = libtorch default).");
        if (threads > 0) set_num_threads(threads);
    }

    /// <summary>Seeds and pins threads in one call (and tunes the native heap, <see cref="NativeHeap"/>); returns the seeded <see cref="Random"/>.</summary>
    public static Random Initialize(int seed, int threads)
    {
        NativeHeap.Configure();   // every run's set-up passes here, so notebooks and library callers get it too
        SetThreads(threads);
        return Seed(seed);
    }
}
