using System.Runtime.InteropServices;

namespace ResearchKit.Training;

/// <summary>What <see cref="NativeHeap.Configure"/> did.</summary>
public enum NativeHeapTuning
{
    /// <summary>glibc's heap keeps every block (no private mappings) and returns free space at its top only above
    /// <see cref="NativeHeap.TrimThresholdBytes"/>; <see cref="NativeHeap.Release"/> returns the rest at the end of a run.</summary>
    Applied,
    /// <summary>Left alone: <c>RESEARCHKIT_NATIVE_HEAP=default</c>, or the user set one of glibc's own <c>MALLOC_MMAP_THRESHOLD_</c>,
    /// <c>MALLOC_MMAP_MAX_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>.</summary>
    LeftToEnvironment,
    /// <summary>Not a glibc process (Windows, macOS, musl): nothing to tune.</summary>
    NotGlibc,
}

/// <summary>
/// Keeps libtorch's CPU tensors off glibc's mmap/munmap path. libtorch allocates every tensor with
/// <c>posix_memalign</c>; with glibc's defaults a block above the (dynamic, 128 KiB–32 MiB) mmap threshold is mapped
/// fresh and unmapped on free, and a free at the heap's top above 128 KiB trims it, so each step's activations page-fault
/// in zeroed pages again. Two settings stop that:
/// <list type="bullet">
/// <item>no private mappings at all (<c>M_MMAP_MAX</c> 0). The mmap threshold alone cannot do it: glibc caps it at
/// 32 MiB, and a ResNet-50 step at batch 32 and 224 px allocates activations of up to 103 MB (32×64×112×112 floats),
/// each one a fresh mapping. Measured on 2 cores, kit ResNet-50 + PA forward + backward: 1.93 img/s with the
/// 32 MiB threshold, 5.5–5.8 img/s without mappings; BN-Inception 7.6 → 9.7 img/s.</item>
/// <item>a trim threshold of <see cref="TrimThresholdBytes"/>: a step frees most of what it allocated, and trimming
/// that at the heap's top costs the next step the same page faults again (ResNet-50: 3.0 img/s with a 256 MiB
/// threshold).</item>
/// </list>
/// Earlier, with the 32 MiB threshold and a 256 MiB trim threshold: one <c>default</c>-profile glyph run (10 epochs)
/// took 41 s wall with 14 s of system time on glibc's defaults, 17–18 s with 1 s after, metrics identical; setting only
/// one of the two thresholds is slower than neither, because setting either one switches off glibc's dynamic threshold.
/// The cost is memory the process keeps for reuse after a peak instead of returning it; <see cref="Release"/> gives it
/// back when a run ends.
/// </summary>
public static class NativeHeap
{
    /// <summary>Free space at the heap's top is returned to the system only above this: 1 GiB, more than one step of
    /// the largest backbone the kit trains on CPU frees at once.</summary>
    public const int TrimThresholdBytes = 1 << 30;

    /// <summary>The environment variable that opts out (<c>default</c> keeps glibc's behaviour).</summary>
    public const string OptOutVariable = "RESEARCHKIT_NATIVE_HEAP";

    private const int MTrimThreshold = -1, MMmapMax = -4;   // <malloc.h>
    private static readonly object Gate = new();
    private static NativeHeapTuning? result;

    /// <summary>
    /// Sets glibc's heap policy once per process (later calls return the first call's outcome). The kit's entry points
    /// call it: the CLI, the trainer's set-up, the notebook extension and the bench commands.
    /// </summary>
    /// <param name="environment">Reads an environment variable (tests pass their own; default: the process's).</param>
    public static NativeHeapTuning Configure(Func<string, string?>? environment = null)
    {
        lock (Gate)
            return result ??= Decide(environment ?? Environment.GetEnvironmentVariable);
    }

    /// <summary>
    /// Returns the heap's free memory to the system (glibc's <c>malloc_trim(0)</c>: the top above a page, and whole free
    /// pages inside the heap). The trainer calls it when a run ends, so a notebook kernel that trained a large backbone
    /// does not keep that run's peak. A no-op unless <see cref="Configure"/> applied the policy.
    /// </summary>
    public static void Release()
    {
        lock (Gate)
            if (result == NativeHeapTuning.Applied) malloc_trim(0);
    }

    // Separate from the once-per-process cache so that the decision is testable on its own.
    internal static NativeHeapTuning Decide(Func<string, string?> environment)
    {
        if (!OperatingSystem.IsLinux()) return NativeHeapTuning.NotGlibc;
        if (string.Equals(environment(OptOutVariable), "default", StringComparison.OrdinalIgnoreCase)
            || environment("MALLOC_MMAP_THRESHOLD_") is not null || environment("MALLOC_MMAP_MAX_") is not null
            || environment("MALLOC_TRIM_THRESHOLD_") is not null)
            return NativeHeapTuning.LeftToEnvironment;
        try
        {
            // mallopt returns 1 on success, 0 when glibc refuses the value.
            return mallopt(MMmapMax, 0) == 1 && mallopt(MTrimThreshold, TrimThresholdBytes) == 1
                ? NativeHeapTuning.Applied
                : throw new InvalidOperationException($"glibc refused mallopt(M_MMAP_MAX, 0) or mallopt(M_TRIM_THRESHOLD, {TrimThresholdBytes}).");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return NativeHeapTuning.NotGlibc;   // musl and other C libraries
        }
    }

    // "libc.so.6", not "libc": on Debian "libc.so" is a linker script that dlopen cannot load.
    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
