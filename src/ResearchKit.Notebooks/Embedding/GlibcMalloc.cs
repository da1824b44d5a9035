using System.Runtime.InteropServices;

namespace ResearchKit.Notebooks.Embedding;

/// <summary>
/// glibc raises its mmap threshold after every large free, so libtorch's many N × N temporaries end up in malloc arenas
/// that are not given back: a t-SNE of 1,000 points grew by ~16 MB per step (1.4 GB after 60 steps, measured) although
/// every step disposes its tensors. A fixed 1 MB threshold keeps large blocks on mmap, returned on free (flat 325 MB).
/// Same effect as the environment variable <c>MALLOC_MMAP_THRESHOLD_=1048576</c>; a no-op off glibc.
/// </summary>
internal static class GlibcMalloc
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD in malloc.h
    private static int _applied;

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    public static void KeepLargeBlocksOnMmap()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _applied, 1) == 1) return;
        try
        {
            MallOpt(MmapThreshold, 1 << 20);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl or another libc: nothing to tune.
        }
    }
}
