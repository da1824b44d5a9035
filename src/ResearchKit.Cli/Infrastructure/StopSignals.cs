using System.Runtime.InteropServices;

namespace ResearchKit.Cli.Infrastructure;

/// <summary>
/// SIGINT, SIGTERM (Slurm's scancel and time limit) and SIGHUP stop the command cleanly: the first one cancels
/// <see cref="Token"/>, the trainer stops before its next step (its last epoch checkpoint stays resumable) and the command
/// prints where it stopped; a second one ends the process at once. The command is the process itself (the installed
/// apphost, not a <c>dotnet run</c> wrapper), so these signals reach it.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private int received;

    private StopSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
            registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
    }

    /// <summary>The process's stop signals (one per process).</summary>
    public static StopSignals Current { get; private set; } = null!;

    /// <summary>Installs the handlers.</summary>
    public static StopSignals Install() => Current = new StopSignals();

    /// <summary>Cancelled by the first stop signal.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Received { get; private set; }

    /// <summary>True when the process that started this one asked it to stop (<see cref="WatchParent"/>).</summary>
    public bool StopRequestedByParent { get; private set; }

    /// <summary>The conventional exit code of a process stopped by <see cref="Received"/> (128 + signal number): 130 for
    /// SIGINT, 143 for SIGTERM, 129 for SIGHUP; 143 when the parent asked (a stop request, as SIGTERM is); 1 when no
    /// signal came (stopped for another reason).</summary>
    public int ExitCode => Received switch
    {
        PosixSignal.SIGINT => 130,
        PosixSignal.SIGTERM => 143,
        PosixSignal.SIGHUP => 129,
        _ => StopRequestedByParent ? 143 : 1,
    };

    /// <summary>
    /// For a worker process (<see cref="RunLanes"/>): its standard input is the parent's pipe, a line <c>stop</c> or the
    /// pipe's end (the parent exited, even by SIGKILL) stops it like a first signal, a line <c>now</c> ends it like a second.
    /// So no worker keeps writing a run folder after its parent is gone, and a Ctrl-C that reaches both the parent and the
    /// worker (one terminal process group) still counts once.
    /// </summary>
    public void WatchParent(TextReader parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var thread = new Thread(() =>
        {
            while (true)
            {
                string? line;
                try { line = parent.ReadLine(); }
                catch (IOException) { line = null; }
                if (line == "now") Environment.Exit(ExitCode);
                if (line is null or "stop")
                {
                    StopRequestedByParent = true;
                    if (!source.IsCancellationRequested)
                    {
                        Console.Error.WriteLine(line is null ? "the parent process is gone: stopping before the next step …" : "stopping before the next step …");
                        source.Cancel();
                    }
                    if (line is null) return;
                }
            }
        }) { IsBackground = true, Name = "parent lifeline" };
        thread.Start();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref received) > 1) return;   // the second signal: default handling ends the process
        context.Cancel = true;
        Received = context.Signal;
        Console.Error.WriteLine($"{context.Signal}: stopping before the next step (send it again to end at once) …");
        source.Cancel();
    }

    /// <summary>Removes the handlers.</summary>
    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }
}
