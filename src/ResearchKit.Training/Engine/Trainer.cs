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
        var progress = opts.Progress;
        var cfg = built.Config;
        var (data, inputs, net, loss, setup, device, workers) = (built.Data, built.Inputs, built.Network, built.Loss, built.Optimizer, built.Device, built.Workers);
        // Smooth Proxy-Anchor: train the confidence module on frozen features before any step (and before a checkpoint
        // overwrites the pretrained weights on resume); null for every other loss.
        using var confidence = ConfidenceStage.Build(cfg, data, net, device, workers, opts.FeatureCacheDirectory ?? run.Root,
            inputs.PooledTrainFeatures(evalBatch: Math.Max(cfg.BatchSize, 256)));
        if (confidence?.Quality is { } q)
            progress.Message($"confidence module ({confidence.Features}): true class on top for {q.FlippedTrueIsTop:P1} of {q.Flipped} flipped samples, " +
                $"label on top for {q.CleanLabelIsTop:P1} of {q.Clean} clean samples");

        var store = run.Checkpoints(cfg.KeepCheckpoints);
        var modules = new Dictionary<string, nn.Module> { ["model"] = net, ["loss"] = loss };

        int startEpoch = 0;
        long step = 0;
        if (resume)
        {
            var restored = store.LoadLatest(new CheckpointTargets
            {
                Modules = modules, Optimizer = setup.Optimizer, Config = cfg, ConfigSource = run.ConfigPath,
            }, progress.Message);
            if (restored is not null)
            {
                if (restored.Epoch > cfg.Epochs)
                    throw new CheckpointMismatchException($"checkpoint '{restored.Path}' holds {restored.Epoch} epochs but {run.ConfigPath} " +
                        $"asks for {cfg.Epochs}; it belongs to another run.");
                (startEpoch, step) = (restored.Epoch, restored.Step);
                foreach (var t in restored.Extra.Values) t.Dispose();
                if (restored.SamplerState is { } s) inputs.Restore(s.Deserialize<SamplerState>(TrainingConfigJson.Options));
                progress.Message($"resumed {run.Root} at epoch {startEpoch} (step {step}) from {Path.GetFileName(restored.Path)}");
            }
            else progress.Message($"no usable checkpoint in {store.Directory}: restarting {run.Root} from epoch 0");
            // Rows of epochs after the checkpoint are redone: drop them so the files end as an uninterrupted run's.
            int dropped = run.TruncateEpochs(startEpoch);
            if (dropped > 0) progress.Message($"dropped {dropped} metric row(s) after epoch {startEpoch} (they are recomputed)");
        }
        progress.Message($"training {cfg.Epochs - startEpoch} epoch(s) of {inputs.BatchesPerEpoch} steps on {cfg.Device} into {run.Root}");
        var schedule = LrSchedules.Create(setup.Optimizer, cfg.Schedule, cfg.Epochs, completedEpochs: startEpoch);

        var timer = new PhaseTimer();
        var throughput = new ThroughputMeter();
        IReadOnlyDictionary<string, double> last = new Dictionary<string, double>();
        RetrievalResult? lastRetrieval = null;   // the evaluation whose metrics are in `last`, if that epoch evaluated
        int evalBatch = Math.Max(cfg.BatchSize, 256);
        for (int epoch = startEpoch; epoch < cfg.Epochs; epoch++)
        {
            Freezing.ApplyWarmup(net.Backbone, epoch, cfg.WarmupEpochs, cfg.BatchNormFreeze);
            Freezing.SetTrainMode(net, cfg.BatchNormFreeze);
            loss.train();
            int stepsPerEpoch = inputs.BatchesPerEpoch;
            progress.EpochStarted(epoch, cfg.Epochs, stepsPerEpoch);
            double lossSum = 0;
            int lossCount = 0;
            using (var batches = inputs.EpochBatches().GetEnumerator())
            {
                while (true)
                {
                    throughput.StartStep();
                    timer.Start();
                    if (!batches.MoveNext()) break;
                    // Checked once a batch exists, so a stop at an epoch boundary still finishes (and checkpoints) that epoch.
                    if (opts.Cancellation.IsCancellationRequested || step >= opts.StopAfterSteps)
                    {
                        batches.Current.Dispose();
                        return Stopped(run, startEpoch: epoch, step, last, timer) with { Retrieval = lastRetrieval };
                    }
                    timer.Stop(Phase.Data);
                    using var batch = batches.Current;
                    using var scope = NewDisposeScope();
                    setup.Optimizer.zero_grad();
                    var output = loss.call(net.forward(batch.Images), batch.Labels, new ObjectiveStep(epoch, confidence?.Table.Rows(batch.Indices, device)));
                    timer.Stop(Phase.Forward);
                    output.Total.backward();
                    Freezing.ClipGradValue(net.parameters(), cfg.GradClipValue);
                    Freezing.ClipGradValue(loss.parameters(), cfg.GradClipValue);
                    setup.Optimizer.step();
                    double value = output.TotalValue;
                    timer.Stop(Phase.Backward);
                    timer.Images += batch.Indices.Length;
                    lossSum += value;
                    lossCount++;
                    step++;
                    throughput.EndStep(batch.Indices.Length);
                    progress.StepCompleted(new ProgressUpdate(epoch, cfg.Epochs, (int)((step - 1) % Math.Max(1, stepsPerEpoch)) + 1, stepsPerEpoch, value,
                        setup.LearningRate(ParamGroupRole.Backbone) ?? cfg.LearningRate, throughput.ImagesPerSecond,
                        throughput.Eta((long)(cfg.Epochs - epoch) * stepsPerEpoch)));
                }
            }
            var metrics = new Dictionary<string, double>
            {
                [RunMetrics.Loss.Key] = lossCount > 0 ? lossSum / lossCount : double.NaN,
                [RunMetrics.LearningRate.Key] = setup.LearningRate(ParamGroupRole.Backbone) ?? cfg.LearningRate,
            };
            if (confidence is not null) foreach (var (k, v) in confidence.Metrics) metrics[k] = v;
            RetrievalResult? retrieval = null;
            schedule.step();
            if (cfg.DeviationEveryEpochs > 0 && (epoch + 1) % cfg.DeviationEveryEpochs == 0)
            {
                timer.Start();
                var dev = Deviation(inputs, loss, data, evalBatch, device);
                metrics[RunMetrics.Deviation.Key] = dev.Primary;
                metrics[RunMetrics.DeviationPairwise.Key] = dev.Pairwise;
                timer.Stop(Phase.Deviation);
            }
            if ((epoch + 1) % cfg.EvalEveryEpochs == 0 || epoch + 1 == cfg.Epochs)
            {
                timer.Start();
                retrieval = Evaluate(inputs, data.Dataset.Test, evalBatch, device, cfg.ComputeNmi);
                foreach (var (m, v) in RetrievalMetrics.Values(retrieval)) metrics[m.Key] = v;
                timer.Stop(Phase.Evaluation);
            }
            timer.Start();
            run.AppendEpoch(epoch, step, metrics);
            store.Save(new CheckpointState
            {
                Epoch = epoch + 1, Step = step, Modules = modules, Optimizer = setup.Optimizer, Config = cfg,
                SamplerState = JsonSerializer.SerializeToElement(inputs.State, TrainingConfigJson.Options),
            });
            timer.Stop(Phase.Checkpoint);
            progress.EpochCompleted(epoch, metrics);
            (last, lastRetrieval) = (metrics, retrieval);
        }
        var result = new TrainingResult(run.Root, true, cfg.Epochs, step, last, timer.Timings()) { Retrieval = lastRetrieval };
        run.WriteResult(result);
        return result;
    }

    private static TrainingResult? FinishedResult(RunDirectory run, TrainingConfig cfg)
    {
        if (!File.Exists(run.ResultPath)) return null;
        var done = JsonSerializer.Deserialize<TrainingResult>(File.ReadAllText(run.ResultPath), TrainingConfigJson.Options);
        return done is { Completed: true } && done.EpochsCompleted >= cfg.Epochs ? done with { Timings = TrainingTimings.Zero } : null;
    }

    private static TrainingResult Stopped(RunDirectory run, int startEpoch, long step, IReadOnlyDictionary<string, double> last, PhaseTimer timer) =>
        new(run.Root, false, startEpoch, step, last, timer.Timings());

    // Retrieval metrics on the held-out classes as training evaluates them (query = reference, self excluded); a trained run
    // read back later evaluates through the same call (TrainedRun.EvaluateTest).
    internal static RetrievalResult Evaluate(RunInputs inputs, DataSplit test, int batchSize, Device device, bool computeNmi)
    {
        using var scope = NewDisposeScope();
        var embeddings = inputs.Embed(test: true, batchSize);
        return RetrievalEvaluator.Evaluate(embeddings, test.Labels(device), new RetrievalOptions { ComputeNmi = computeNmi }, device);
    }

    private static DeviationResult Deviation(RunInputs inputs, ProxyObjectiveModule loss, TrainingData data, int batchSize, Device device)
    {
        using var scope = NewDisposeScope();
        var embeddings = inputs.Embed(test: false, batchSize);
        return ProxyCenterDeviation.Compute(embeddings, data.Train.Labels(device), loss.Head.Proxies.detach(), loss.Head.ProxiesPerClass);
    }
}
