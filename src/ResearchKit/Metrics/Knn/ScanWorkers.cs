using System.Runtime.ExceptionServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// Runs independent work items on CPU from several dedicated threads, each with one intra-op thread: many small
/// tensor ops then run without a fork/join barrier each, which on a few (possibly shared) cores costs more than the
/// ops themselves. One worker (or another device) runs the items in order on the calling thread.
/// </summary>
internal static class ScanWorkers
{
    /// <summary>
    /// Calls <paramref name="body"/>(state, item) for items 0..count-1; each worker first creates its state with
    /// <paramref name="newState"/> and disposes it at the end.
    /// </summary>
    public static void Run<TState>(int workers, Device device, int count, Func<TState> newState, Action<TState, int> body)
        where TState : IDisposable
    {
        workers = device.type == DeviceType.CPU ? Math.Clamp(workers, 1, Math.Max(1, count)) : 1;
        if (workers == 1)
        {
            using var state = newState();
            for (int i = 0; i < count; i++) body(state, i);
            return;
        }
        int threads = torch.get_num_threads();
        int next = -1;
        ExceptionDispatchInfo? failure = null;
        var pool = Enumerable.Range(0, workers).Select(_ => new Thread(() =>
        {
            try
            {
                // Sets this thread's OpenMP/MKL thread count (and the shared default, restored below).
                torch.set_num_threads(1);
                using var state = newState();
                for (int i = Interlocked.Increment(ref next); i < count && failure is null; i = Interlocked.Increment(ref next))
                    body(state, i);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            }
        }) { IsBackground = true, Name = "knn-worker" }).ToList();
        try
        {
            pool.ForEach(t => t.Start());
            pool.ForEach(t => t.Join());
        }
        finally
        {
            torch.set_num_threads(threads);
        }
        failure?.Throw();
    }

    /// <summary>No per-worker state.</summary>
    public sealed class None : IDisposable
    {
        /// <summary>Nothing to release.</summary>
        public void Dispose() { }
    }
}
