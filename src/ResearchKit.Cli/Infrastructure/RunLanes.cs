using System.Diagnostics;
using System.Reflection;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Cli.Infrastructure;

/// <summary>
/// Runs one shard of an experiment as several worker processes of this same command, each on a sub-shard
/// (<see cref="Shard.Split"/>), so a CPU machine trains as many runs at once as it has cores for. Processes, not threads:
/// torch's generator and thread count are process-wide, and a run must give the same numbers whichever lane trains it
/// (each run seeds itself; the tests compare lanes against one process). The parent holds the shard's lock, forwards the
/// workers' lines, and is their lifeline: a stop signal it receives goes to every worker as a stop request on its
/// standard input, and a parent that dies (even by SIGKILL) closes that pipe, which stops the workers too.
/// </summary>
public static class RunLanes
{
    /// <summary>Most lanes <c>--jobs auto</c> picks (each worker holds its own data set and network).</summary>
    public const int MaxAutoLanes = 8;

    /// <summary>
    /// Lanes for <c>--jobs auto</c>: on the CPU, the cores over the profile's libtorch threads per run (one each on the
    /// CPU profiles, so 2 on a 2-core machine), at most <see cref="MaxAutoLanes"/> and the number of runs; on a GPU, or
    /// when a run uses all cores (threads 0), one.
    /// </summary>
    /// <param name="profile">The profile (its base config's device and threads).</param>
    /// <param name="device">The <c>--device</c> override, if any.</param>
    /// <param name="runs">Runs this shard owns.</param>
    /// <param name="cores">Cores available to this process.</param>
    public static int Auto(ExperimentProfile profile, string? device, int runs, int cores)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var dev = device ?? profile.Base.Device;
        if (!dev.StartsWith("cpu", StringComparison.OrdinalIgnoreCase) || profile.Base.Threads < 1) return 1;
        return Math.Clamp(Math.Min(cores / profile.Base.Threads, Math.Min(runs, MaxAutoLanes)), 1, MaxAutoLanes);
    }

    /// <summary>Parses <c>--jobs</c>: <c>auto</c> or a count ≥ 1.</summary>
    /// <returns>The count, or null for auto.</returns>
    /// <exception cref="ArgumentException">Neither.</exception>
    public static int? ParseJobs(string text) =>
        text == "auto" ? null
        : int.TryParse(text, out int n) && n >= 1 ? n
        : throw new ArgumentException($"jobs must be auto or a count >= 1; got '{text}'.", nameof(text));

    /// <summary>
    /// Starts one worker per sub-shard of <paramref name="shard"/> with <paramref name="workerArgs"/> + <c>--shard</c>,
    /// forwards their output line by line, and waits for all of them. A worker that fails stops the others (their last
    /// epoch stays checkpointed).
    /// </summary>
    /// <param name="workerArgs">The command's own arguments for a worker, without <c>--shard</c>.</param>
    /// <param name="shard">The shard to split.</param>
    /// <param name="lanes">Worker processes (≥ 2).</param>
    /// <param name="stop">Cancelled by this process's stop signal.</param>
    /// <returns>Each worker's exit code, in lane order.</returns>
    public static IReadOnlyList<int> Run(IReadOnlyList<string> workerArgs, Shard shard, int lanes, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(workerArgs);
        var parts = shard.Split(lanes);
        var console = new object();
        var workers = new List<Process>();
        void StopAll(string message)
        {
            lock (workers)
                foreach (var w in workers)
                    try { w.StandardInput.WriteLine(message); w.StandardInput.Flush(); }
                    catch (Exception e) when (e is IOException or InvalidOperationException) { }   // already gone
        }
        try
        {
            foreach (var part in parts)
            {
                var w = Start([.. workerArgs, "--shard", $"{part.Index}/{part.Count}"]);
                w.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (console) Console.Out.WriteLine(e.Data); };
                w.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (console) Console.Error.WriteLine(e.Data); };
                w.BeginOutputReadLine();
                w.BeginErrorReadLine();
                lock (workers) workers.Add(w);
            }
            using var onStop = stop.Register(() => StopAll("stop"));
            var codes = new int[workers.Count];
            var pending = Enumerable.Range(0, workers.Count).ToList();
            while (pending.Count > 0)
            {
                int done = WaitAny(workers, pending);
                codes[done] = workers[done].ExitCode;
                pending.Remove(done);
                // A failure (not a stop) ends the experiment: stop the other lanes instead of letting them run for hours.
                if (codes[done] != 0 && !stop.IsCancellationRequested) StopAll("stop");
            }
            return codes;
        }
        finally
        {
            if (workers.Any(w => !w.HasExited)) StopAll("stop");   // only after an exception above
            foreach (var w in workers)
            {
                w.WaitForExit();   // also drains the forwarded output
                w.Dispose();
            }
        }
    }

    // The installed apphost runs itself; under `dotnet ResearchKit.Cli.dll` the host needs the assembly first.
    private static Process Start(IReadOnlyList<string> args)
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this process's executable to start workers.");
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--worker");
        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start a worker ({exe}).");
    }

    private static int WaitAny(List<Process> workers, List<int> pending)
    {
        while (true)
        {
            foreach (int i in pending)
                if (workers[i].WaitForExit(0)) return i;
            Thread.Sleep(100);
        }
    }
}
