using System.Diagnostics;

namespace ResearchKit.Training.Engine;

/// <summary>A phase of the training loop whose wall time is measured.</summary>
internal enum Phase { Data, Forward, Backward, Evaluation, Deviation, Checkpoint }

/// <summary>Accumulates wall time per <see cref="Phase"/>: <see cref="Start"/>, then <see cref="Stop"/> after each phase.</summary>
internal sealed class PhaseTimer
{
    private readonly double[] seconds = new double[Enum.GetValues<Phase>().Length];
    private long mark;

    public long Images { get; set; }

    public void Start() => mark = Stopwatch.GetTimestamp();

    /// <summary>Charges the time since the last mark to <paramref name="phase"/> and restarts the mark.</summary>
    public void Stop(Phase phase)
    {
        long now = Stopwatch.GetTimestamp();
        seconds[(int)phase] += Stopwatch.GetElapsedTime(mark, now).TotalSeconds;
        mark = now;
    }

    public TrainingTimings Timings() => new(seconds[0], seconds[1], seconds[2], seconds[3], seconds[4], seconds[5], Images);
}
