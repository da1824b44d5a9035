using System.Diagnostics;
using System.Globalization;

namespace ResearchKit.Training.Progress;

/// <summary>One step's numbers for display.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps per epoch.</param>
/// <param name="Loss">Loss of this step.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="ImagesPerSecond">Recent throughput.</param>
/// <param name="Eta">Estimated time to the end of the run, when known.</param>
public sealed record ProgressUpdate(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss, double LearningRate, double ImagesPerSecond, TimeSpan? Eta)
{
    /// <summary>Plain one-line rendering (invariant culture).</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"epoch {Epoch + 1}/{Epochs} step {Step}/{StepsPerEpoch} loss {Loss:F4} lr {LearningRate:0.###e+0} {ImagesPerSecond:F1} img/s ETA {FormatEta(Eta)}");

    /// <summary>h:mm:ss, or "?" when unknown.</summary>
    public static string FormatEta(TimeSpan? eta) =>
        eta is { } t ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : "?";
}

/// <summary>
/// Receives training progress. Implementations: <see cref="QuietProgress"/>, <see cref="LogProgress"/>
/// (plain lines, for logs and CI), <see cref="SpectreProgress"/> (live console display).
/// </summary>
public interface ITrainingProgress : IDisposable
{
    /// <summary>An epoch begins.</summary>
    void EpochStarted(int epoch, int epochs, int stepsPerEpoch);

    /// <summary>A step finished.</summary>
    void StepCompleted(ProgressUpdate update);

    /// <summary>An epoch finished, with its metrics (losses, evaluation results).</summary>
    void EpochCompleted(int epoch, IReadOnlyDictionary<string, double> metrics);

    /// <summary>A free-form message (e.g. "resumed from epoch 7").</summary>
    void Message(string text);
}

/// <summary>Shows no steps or epochs; messages (resume points, restarts, lock take-overs) go to <c>messages</c> when given.</summary>
public sealed class QuietProgress(Action<string>? messages = null) : ITrainingProgress
{
    /// <inheritdoc/>
    public void EpochStarted(int epoch, int epochs, int stepsPerEpoch) { }
    /// <inheritdoc/>
    public void StepCompleted(ProgressUpdate update) { }
    /// <inheritdoc/>
    public void EpochCompleted(int epoch, IReadOnlyDictionary<string, double> metrics) { }
    /// <inheritdoc/>
    public void Message(string text) => messages?.Invoke(text);
    /// <inheritdoc/>
    public void Dispose() { }
}

/// <summary>
/// Plain text lines: the first step, every <c>everySteps</c> steps or at least every 10 seconds (slow steps on a CPU still
/// show progress), the last step of each epoch, and epoch summaries.
/// </summary>
public sealed class LogProgress(TextWriter writer, int everySteps = 10) : ITrainingProgress
{
    private static readonly TimeSpan MaxQuiet = TimeSpan.FromSeconds(10);
    private readonly TextWriter writer = writer ?? throw new ArgumentNullException(nameof(writer));
    private readonly int every = everySteps > 0 ? everySteps : throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "Expected > 0.");
    private readonly Stopwatch sinceLine = new();

    /// <inheritdoc/>
    public void EpochStarted(int epoch, int epochs, int stepsPerEpoch) { }

    /// <inheritdoc/>
    public void StepCompleted(ProgressUpdate update)
    {
        if (!sinceLine.IsRunning || update.Step % every == 0 || update.Step == update.StepsPerEpoch || sinceLine.Elapsed >= MaxQuiet)
        {
            writer.WriteLine(update.Format());
            sinceLine.Restart();
        }
    }

    /// <inheritdoc/>
    public void EpochCompleted(int epoch, IReadOnlyDictionary<string, double> metrics) =>
        writer.WriteLine(SummaryLine(epoch, metrics));

    /// <inheritdoc/>
    public void Message(string text) => writer.WriteLine(text);

    /// <inheritdoc/>
    public void Dispose() => writer.Flush();

    /// <summary>"epoch N done: k=v ..." with invariant formatting.</summary>
    public static string SummaryLine(int epoch, IReadOnlyDictionary<string, double> metrics) =>
        $"epoch {epoch + 1} done: " + string.Join(" ", metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:G5}")));
}

/// <summary>
/// Throughput and ETA from step timings: images/s over a sliding window of recent steps, ETA from the mean step
/// time of the window times the remaining steps of the run.
/// </summary>
public sealed class ThroughputMeter
{
    private readonly Queue<(long Images, double Seconds)> window = new();
    private readonly int capacity;
    private long windowImages;
    private double windowSeconds;
    private readonly Stopwatch clock = new();

    /// <summary>Creates a meter averaging over the last <paramref name="windowSteps"/> steps.</summary>
    public ThroughputMeter(int windowSteps = 20)
    {
        if (windowSteps <= 0) throw new ArgumentOutOfRangeException(nameof(windowSteps), windowSteps, "Expected > 0.");
        capacity = windowSteps;
    }

    /// <summary>Marks the start of a step (uses an internal stopwatch; see <see cref="Record"/> for explicit timings).</summary>
    public void StartStep() => clock.Restart();

    /// <summary>Ends a step started with <see cref="StartStep"/>.</summary>
    public void EndStep(long images) => Record(images, clock.Elapsed.TotalSeconds);

    /// <summary>Adds a step that processed <paramref name="images"/> in <paramref name="seconds"/>.</summary>
    public void Record(long images, double seconds)
    {
        if (images < 0 || !(seconds >= 0)) throw new ArgumentOutOfRangeException(nameof(seconds), "Expected images >= 0 and seconds >= 0.");
        window.Enqueue((images, seconds));
        windowImages += images; windowSeconds += seconds;
        if (window.Count > capacity)
        {
            var (i, s) = window.Dequeue();
            windowImages -= i; windowSeconds -= s;
        }
    }

    /// <summary>Images per second over the window (0 before any timed step).</summary>
    public double ImagesPerSecond => windowSeconds > 0 ? windowImages / windowSeconds : 0;

    /// <summary>Mean step time times <paramref name="remainingSteps"/>, or null before any step.</summary>
    public TimeSpan? Eta(long remainingSteps) =>
        window.Count == 0 ? null : TimeSpan.FromSeconds(windowSeconds / window.Count * Math.Max(0, remainingSteps));
}
