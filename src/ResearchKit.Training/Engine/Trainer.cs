using System.Diagnostics;
using System.Text.Json;
using ResearchKit.Data;
using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using ResearchKit.Training.Optimization;
using ResearchKit.Training.Progress;
using ResearchKit.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// The training loop (Proxy-Anchor recipe, losses.md §1.2, with the CP objective): random batches → embedding network →
/// <see cref="ResearchKit.Losses.ProxyObjectiveModule"/> → backward → clip by value → AdamW (proxies at 100× lr) → per-epoch schedule.
/// Warm-up epochs train only head and proxies. Every epoch: deviation (Eq. 10) on the training set, metrics to the run
/// folder, an atomic checkpoint (model, loss with its queue buffers, optimizer, torch RNG, sampler position); every
/// <see cref="TrainingConfig.EvalEveryEpochs"/> epochs and at the end: retrieval metrics on the held-out classes.
/// A run stopped at any point resumes from its last checkpoint to the same final metrics and parameters.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Starts a new run in <paramref name="runDirectory"/>: takes the folder's lock, checks and builds everything
    /// (<see cref="TrainingSetup"/>), and only then writes the config. A start that fails leaves no run behind, so the same
    /// folder can be retried; a folder whose run started is refused (resume it instead).
    /// </summary>
    /// <exception cref="ArgumentException">Invalid config, or the folder already holds a run that started.</exception>
    /// <exception cref="FolderLockedException">Another process writes the folder.</exception>
    public static TrainingResult Train(TrainingConfig config, string runDirectory, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        var opts = options ?? new TrainerOptions();
        config.Validate();
        var full = Path.GetFullPath(runDirectory);
        bool existed = Directory.Exists(full);
        var run = RunDirectory.Claim(Path.GetDirectoryName(full)!, Path.GetFileName(full), opts.Progress.Message);
        try
        {
            TrainingSetup setup;
            try { setup = TrainingSetup.Build(config, opts, opts.Progress.Message, opts.FeatureCacheDirectory ?? full); }
            catch
            {
                run.Dispose();
                if (!existed) RemoveIfOnlyLocks(full);
                throw;
            }
            using (setup)
            {
                run.WriteConfig(config);
                return Run(setup, run, opts, resume: false);
            }
        }
        finally { run.Dispose(); }
    }

    /// <summary>
    /// Continues the run in <paramref name="runDirectory"/> from its newest valid checkpoint whose config fingerprint matches
    /// (or from scratch, announced, if none is usable); metric rows past that checkpoint are dropped first.
    /// </summary>
    /// <param name="runDirectory">The run folder.</param>
    /// <param name="options">Runtime options.</param>
    /// <param name="expected">The config the caller means (e.g. an experiment's plan, or train's --config): its recipe must
    /// equal the stored one (<see cref="ConfigFingerprint"/>), and its runtime fields (device, threads, workers) replace
    /// the stored ones. Null continues with the stored config as it is.</param>
    /// <exception cref="DirectoryNotFoundException">The folder holds no run.</exception>
    /// <exception cref="ArgumentException"><paramref name="expected"/> is another recipe than the stored config; names both.</exception>
    /// <exception cref="CheckpointMismatchException">The newest checkpoint was written by another config; names both.</exception>
    public static TrainingResult Resume(string runDirectory, TrainerOptions? options = null, TrainingConfig? expected = null)
    {
        var opts = options ?? new TrainerOptions();
        using var run = RunDirectory.Open(runDirectory, opts.Progress.Message);
        var stored = run.LoadConfig();
        var cfg = stored;
        if (expected is not null)
        {
            expected.Validate();
            if (ConfigFingerprint.Of(expected) != ConfigFingerprint.Of(stored))
                throw new ArgumentException($"the config given differs from the run's {run.ConfigPath} " +
                    $"({ConfigFingerprint.DescribeDifferences(expected, stored)}); a resume continues the stored config: " +
                    "drop the config, or start the changed one in another folder.", nameof(expected));
            cfg = expected;
            if (cfg.Device != stored.Device) opts.Progress.Message($"device {cfg.Device} (the run was started on {stored.Device})");
        }
        // A finished run resumes to its result without loading data or rebuilding anything (e.g. the confidence stage).
        if (FinishedResult(run, cfg) is { } finished) return finished;
        using var setup = TrainingSetup.Build(cfg, opts, opts.Progress.Message, opts.FeatureCacheDirectory ?? run.Root);
        return Run(setup, run, opts, resume: true);
    }

    private static void RemoveIfOnlyLocks(string folder)
    {
        try
        {
            if (Directory.EnumerateFileSystemEntries(folder).All(FolderLock.IsLockFile)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { }   // another process took the folder meanwhile: leave it
    }

    private static TrainingResult Run(TrainingSetup built, RunDirectory run, TrainerOptions opts, bool resume)
    {
        try
        {
            using var loop = new TrainingLoop(built, run, opts);
            return loop.Run(resume);
        }
        finally
        {
            // The heap keeps a step's memory for the next step (NativeHeap); once the loop's tensors are gone, give the
            // run's peak back, so that a kernel or a worker that trained a large backbone does not hold it.
            NativeHeap.Release();
        }
    }

    private static TrainingResult? FinishedResult(RunDirectory run, TrainingConfig cfg)
    {
        if (!File.Exists(run.ResultPath)) return null;
        var done = JsonSerializer.Deserialize<TrainingResult>(File.ReadAllText(run.ResultPath), TrainingConfigJson.Options);
        return done is { Completed: true } && done.EpochsCompleted >= cfg.Epochs ? done with { Timings = TrainingTimings.Zero } : null;
    }

    // Retrieval metrics on the held-out classes as training evaluates them (query = reference, self excluded); a trained run
    // read back later evaluates through the same call (TrainedRun.EvaluateTest).
    internal static RetrievalResult Evaluate(RunInputs inputs, DataSplit test, int batchSize, Device device, bool computeNmi)
    {
        using var scope = NewDisposeScope();
        var embeddings = inputs.Embed(test: true, batchSize);
        return RetrievalEvaluator.Evaluate(embeddings, test.Labels(device), new RetrievalOptions { ComputeNmi = computeNmi }, device);
    }

    internal static DeviationResult Deviation(RunInputs inputs, ProxyObjectiveModule loss, TrainingData data, int batchSize, Device device)
    {
        using var scope = NewDisposeScope();
        var embeddings = inputs.Embed(test: false, batchSize);
        return ProxyCenterDeviation.Compute(embeddings, data.Train.Labels(device), loss.Head.Proxies.detach(), loss.Head.ProxiesPerClass);
    }
}
