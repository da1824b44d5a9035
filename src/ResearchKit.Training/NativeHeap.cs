using System.Runtime.InteropServices;

namespace ResearchKit.Training;

/// <summary>What <see cref="NativeHeap.Configure"/> did.</summary>
public enum NativeHeapTuning
{
    /// <summary>glibc's mmap and trim thresholds were set to <see cref="NativeHeap.MmapThresholdBytes"/> and <see cref="NativeHeap.TrimThresholdBytes"/>.</summary>
    Applied,
    /// <summary>Left alone: <c>RESEARCHKIT_NATIVE_HEAP=default</c>, or the user set glibc's own <c>MALLOC_MMAP_THRESHOLD_</c> / <c>MALLOC_TRIM_THRESHOLD_</c>.</summary>
    LeftToEnvironment,
    /// <summary>Not a glibc process (Windows, macOS, musl): nothing to tune.</summary>
    NotGlibc,
}

/// <summary>
/// Keeps libtorch's CPU tensors off glibc's mmap/munmap path. libtorch allocates every tensor with
/// <c>posix_memalign</c>; with glibc's defaults a block above the (dynamic, 128 KiB–32 MiB) mmap threshold is mapped
/// fresh and unmapped on free, and a free at the heap's top above 128 KiB trims it, so each step's activations page-fault
/// in zeroed pages again. Measured on 2 cores, one <c>default</c>-profile glyph run (10 epochs): 41 s wall with 14 s of
/// system time before, 17–18 s with 1 s after, metrics identical; setting only one of the two thresholds is slower than
/// neither (95 s and 220 s), because setting either one also switches off glibc's dynamic threshold.
/// The cost is memory that the process keeps for reuse after a peak instead of returning it (max RSS +0–5 % here).
/// </summary>
public static class NativeHeap
{
    /// <summary>Blocks below this come from the heap, not a private mapping: 32 MiB, glibc's largest allowed value on 64-bit.</summary>
    public const int MmapThresholdBytes = 32 << 20;

    /// <summary>Free space at the heap's top is returned to the system only above this: 256 MiB.</summary>
    public const int TrimThresholdBytes = 256 << 20;

    /// <summary>The environment variable that opts out (<c>default</c> keeps glibc's behaviour).</summary>
    public const string OptOutVariable = "RESEARCHKIT_NATIVE_HEAP";

    private const int MTrimThreshold = -1, MMmapThreshold = -3;   // <malloc.h>
    private static readonly object Gate = new();
    private static NativeHeapTuning? result;

    /// <summary>
    /// Sets the thresholds once per process (later calls return the first call's outcome). The kit's entry points call
    /// it: the CLI, the trainer's set-up, the notebook extension and the bench commands.
    /// </summary>
    /// <param name="environment">Reads an environment variable (tests pass their own; default: the process's).</param>
    public static NativeHeapTuning Configure(Func<string, string?>? environment = null)
    {
        lock (Gate)
            return result ??= Decide(environment ?? Environment.GetEnvironmentVariable);
    }

    // Separate from the once-per-process cache so that the decision is testable on its own.
    internal static NativeHeapTuning Decide(Func<string, string?> environment)
    {
        if (!OperatingSystem.IsLinux()) return NativeHeapTuning.NotGlibc;
        if (string.Equals(environment(OptOutVariable), "default", StringComparison.OrdinalIgnoreCase)
            || environment("MALLOC_MMAP_THRESHOLD_") is not null || environment("MALLOC_TRIM_THRESHOLD_") is not null)
            return NativeHeapTuning.LeftToEnvironment;
        try
        {
            // mallopt returns 1 on success, 0 when glibc refuses the value.
            return mallopt(MMmapThreshold, MmapThresholdBytes) == 1 && mallopt(MTrimThreshold, TrimThresholdBytes) == 1
                ? NativeHeapTuning.Applied
                : throw new InvalidOperationException($"glibc refused mallopt(M_MMAP_THRESHOLD, {MmapThresholdBytes}) or mallopt(M_TRIM_THRESHOLD, {TrimThresholdBytes}).");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return NativeHeapTuning.NotGlibc;   // musl and other C libraries
        }
    }

    // "libc.so.6", not "libc": on Debian "libc.so" is a linker script that dlopen cannot load.
    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
