using ResearchKit.Training;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests;

[Collection(nameof(NativeHeapCollection))]
public class NativeHeapTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Sets_glibcs_thresholds_on_linux()
    {
        // This machine is Debian (glibc): mallopt must be found and accept both values.
        Assert.True(OperatingSystem.IsLinux());
        Assert.Equal(NativeHeapTuning.Applied, NativeHeap.Decide(Env()));
    }

    [Theory]
    [InlineData("RESEARCHKIT_NATIVE_HEAP", "default")]
    [InlineData("RESEARCHKIT_NATIVE_HEAP", "DEFAULT")]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "131072")]
    [InlineData("MALLOC_MMAP_MAX_", "65536")]
    [InlineData("MALLOC_TRIM_THRESHOLD_", "0")]
    public void Leaves_an_explicit_choice_of_the_user_alone(string name, string value) =>
        Assert.Equal(NativeHeapTuning.LeftToEnvironment, NativeHeap.Decide(Env((name, value))));

    [Fact]
    public void Another_value_of_the_opt_out_variable_still_tunes() =>
        Assert.Equal(NativeHeapTuning.Applied, NativeHeap.Decide(Env(("RESEARCHKIT_NATIVE_HEAP", "tuned"))));

    [Fact]
    public void Configure_decides_once_per_process()
    {
        var first = NativeHeap.Configure();
        Assert.Equal(first, NativeHeap.Configure(Env(("RESEARCHKIT_NATIVE_HEAP", "default"))));
    }

    [Fact]
    public void The_heap_keeps_freed_tensor_memory_until_Release_returns_it()
    {
        Assert.Equal(NativeHeapTuning.Applied, NativeHeap.Configure());
        ones(1).Dispose();   // loads libtorch first, so that its code is not counted as kept memory
        // Tensors that earlier tests left to the finalizer are freed now, not while the blocks are measured; what they
        // leave free in the heap may be reused by the blocks, so the checks below compare the blocks with themselves.
        Collect();
        NativeHeap.Release();
        long start = Rss();
        // 24 blocks of 32 MiB, each above glibc's largest mmap threshold: with glibc's defaults every one is a private
        // mapping that munmap returns on dispose; under the policy they stay in the heap (768 MiB < the trim threshold).
        var blocks = Enumerable.Range(0, 24).Select(_ => ones(8L << 20)).ToList();
        long allocated = Rss() - start;
        foreach (var b in blocks) b.Dispose();
        long keptAfterDispose = Rss() - start;
        NativeHeap.Release();
        long keptAfterRelease = Rss() - start;

        const long mib = 1 << 20;
        Assert.True(allocated > 500 * mib, $"the blocks added only {allocated / mib} MiB to the resident set");
        Assert.True(keptAfterDispose > allocated - 32 * mib, $"disposing the blocks returned them to the system ({keptAfterDispose / mib} of {allocated / mib} MiB kept)");
        Assert.True(keptAfterDispose - keptAfterRelease > 700 * mib, $"Release returned only {(keptAfterDispose - keptAfterRelease) / mib} MiB of the 768 MiB of disposed blocks");
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static long Rss() => long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]) * Environment.SystemPageSize;
}

/// <summary>Runs the heap tests without other tests in parallel, so the resident set is theirs.</summary>
[CollectionDefinition(nameof(NativeHeapCollection), DisableParallelization = true)]
public sealed class NativeHeapCollection;
