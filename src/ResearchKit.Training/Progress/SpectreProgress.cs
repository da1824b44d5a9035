using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ResearchKit.Training.Progress;

/// <summary>
/// Live console display with Spectre.Console: a bar per epoch with loss, lr, images/s and ETA, and a summary line
/// per finished epoch. Each epoch runs one live display on a background task; updates only replace a snapshot
/// under a lock, so the training thread never waits on rendering.
/// </summary>
public sealed class SpectreProgress : ITrainingProgress
{
    private readonly IAnsiConsole console;
    private readonly Lock gate = new();
    private ProgressUpdate? latest;
    private int epoch, epochs, steps;
    private CancellationTokenSource? stop;
    private Task? live;

    /// <summary>Renders to <paramref name="console"/> (default: <see cref="AnsiConsole.Console"/>).</summary>
    public SpectreProgress(IAnsiConsole? console = null) => this.console = console ?? AnsiConsole.Console;

    /// <summary>Picks <see cref="SpectreProgress"/> on an interactive terminal, <see cref="LogProgress"/> otherwise, or quiet.</summary>
    public static ITrainingProgress Create(bool quiet = false)
    {
        if (quiet) return new QuietProgress();
        return AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected
            ? new SpectreProgress()
            : new LogProgress(Console.Out);
    }

    /// <inheritdoc/>
    public void EpochStarted(int epoch, int epochs, int stepsPerEpoch)
    {
        StopLive();
        lock (gate) { this.epoch = epoch; this.epochs = epochs; steps = stepsPerEpoch; latest = null; }
        stop = new CancellationTokenSource();
        var token = stop.Token;
        live = Task.Run(() => console.Live(Render()).AutoClear(true).Start(ctx =>
        {
            while (!token.IsCancellationRequested)
            {
                ctx.UpdateTarget(Render());
                token.WaitHandle.WaitOne(200);
            }
            ctx.UpdateTarget(Render());
        }));
    }

    /// <inheritdoc/>
    public void StepCompleted(ProgressUpdate update)
    {
        lock (gate) latest = update;
    }

    /// <inheritdoc/>
    public void EpochCompleted(int epoch, IReadOnlyDictionary<string, double> metrics)
    {
        StopLive();
        console.MarkupLine(Markup.Escape(LogProgress.SummaryLine(epoch, metrics)));
    }

    /// <inheritdoc/>
    public void Message(string text)
    {
        // Writing while a live display runs would interleave; messages between epochs print directly.
        if (live is null) console.MarkupLine(Markup.Escape(text));
        else lock (gate) pendingMessages.Add(text);
    }

    private readonly List<string> pendingMessages = [];

    /// <summary>The current display (exposed for tests).</summary>
    internal IRenderable Render()
    {
        ProgressUpdate? u;
        int e, es, s;
        lock (gate) { u = latest; e = epoch; es = epochs; s = steps; }
        int done = u?.Step ?? 0;
        const int width = 30;
        int filled = s > 0 ? (int)Math.Round(width * (double)done / s) : 0;
        var bar = new string('━', filled) + new string('─', width - filled);
        var text = u is null
            ? $"epoch {e + 1}/{es} [grey]{bar}[/] 0/{s}"
            : string.Create(CultureInfo.InvariantCulture,
                $"epoch {e + 1}/{es} [green]{bar}[/] {done}/{s}  loss [yellow]{u.Loss:F4}[/]  lr {u.LearningRate:0.###e+0}  {u.ImagesPerSecond:F1} img/s  ETA {ProgressUpdate.FormatEta(u.Eta)}");
        return new Markup(text);
    }

    private void StopLive()
    {
        if (live is null) return;
        stop!.Cancel();
        live.GetAwaiter().GetResult();
        stop.Dispose();
        live = null; stop = null;
        List<string> messages;
        lock (gate) { messages = [.. pendingMessages]; pendingMessages.Clear(); }
        foreach (var m in messages) console.MarkupLine(Markup.Escape(m));
    }

    /// <inheritdoc/>
    public void Dispose() => StopLive();
}
