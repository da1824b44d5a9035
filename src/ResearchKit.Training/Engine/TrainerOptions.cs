using ResearchKit.Data;
using ResearchKit.Training.Progress;

namespace ResearchKit.Training.Engine;

/// <summary>Runtime settings of a training run that are not part of its config (they do not change its results).</summary>
public sealed record TrainerOptions
{
    /// <summary>Console display (quiet by default).</summary>
    public ITrainingProgress Progress { get; init; } = new QuietProgress();

    /// <summary>Stops the run before the next step; the last epoch checkpoint stays resumable.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Stops once this many optimizer steps have been taken in total, as if killed (for resume tests); null runs to the end.</summary>
    public long? StopAfterSteps { get; init; }

    /// <summary>An already loaded data set for <see cref="Config.TrainingConfig.Dataset"/> (skips loading; must be that data set).</summary>
    public ZeroShotDataset? Dataset { get; init; }

    /// <summary>Data root for the data set registry (null = the default).</summary>
    public string? DataRoot { get; init; }

    /// <summary>Folder for cached frozen-backbone features of Smooth Proxy-Anchor's confidence module (shared by runs;
    /// null = the run folder). Files are keyed by split, backbone, weights and pipeline, so a stale file is re-extracted.</summary>
    public string? FeatureCacheDirectory { get; init; }
}
