using System.Text.Json;
using ResearchKit.Data;
using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Optimization;
using ResearchKit.Training.Progress;
using ResearchKit.Training.Runs;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// One run's training loop over a built <see cref="TrainingSetup"/>, phase by phase: the confidence stage (Smooth
/// Proxy-Anchor), the restore of a resumed run, the epochs' steps, the end-of-epoch measurements (deviation, retrieval)
/// and the checkpoint. <see cref="Trainer"/> owns the folder, the lock and the set-up; this class only trains.
/// </summary>
internal sealed class TrainingLoop : IDisposable
{
    private readonly TrainingSetup built;
    private readonly TrainingConfig cfg;
    private readonly RunDirectory run;
    private readonly TrainerOptions opts;
    private readonly CheckpointStore store;
    private readonly Dictionary<string, nn.Module> modules;
    private readonly ConfidenceStage? confidence;
    private readonly PhaseTimer timer = new();
    private readonly ThroughputMeter throughput = new();
    private readonly int evalBatch;
    private long step;
    private IReadOnlyDictionary<string, double> last = new Dictionary<string, double>();
    private RetrievalResult? lastRetrieval;   // the evaluation whose metrics are in `last`, if that epoch evaluated

    public TrainingLoop(TrainingSetup built, RunDirectory run, TrainerOptions opts)
    {
        (this.built, cfg, this.run, this.opts) = (built, built.Config, run, opts);
        evalBatch = Math.Max(cfg.BatchSize, 256);
        // Smooth Proxy-Anchor: train the confidence module on frozen features before any step (and before a checkpoint
        // overwrites the pretrained weights on resume); null for every other loss.
        confidence = ConfidenceStage.Build(cfg, built.Data, built.Network, built.Device, built.Workers, opts.FeatureCacheDirectory ?? run.Root,
            built.Inputs.PooledTrainFeatures(evalBatch));
        if (confidence?.Quality is { } q)
            opts.Progress.Message($"confidence module ({confidence.Features}): true class on top for {q.FlippedTrueIsTop:P1} of {q.Flipped} flipped samples, " +
                $"label on top for {q.CleanLabelIsTop:P1} of {q.Clean} clean samples");
        store = run.Checkpoints(cfg.KeepCheckpoints);
        modules = new Dictionary<string, nn.Module> { ["model"] = built.Network, ["loss"] = built.Loss };
    }

    /// <summary>Trains from epoch 0, or from the newest usable checkpoint with <paramref name="resume"/>, to the end or a stop.</summary>
    public TrainingResult Run(bool resume)
    {
        try { return RunEpochs(resume); }
        finally { GcQuiet.Exit(); }
    }

    private TrainingResult RunEpochs(bool resume)
    {
        int startEpoch = resume ? Restore() : 0;
        opts.Progress.Message($"training {cfg.Epochs - startEpoch} epoch(s) of {built.Inputs.BatchesPerEpoch} steps on {cfg.Device} into {run.Root}");
        var schedule = LrSchedules.Create(built.Optimizer.Optimizer, cfg.Schedule, cfg.Epochs, completedEpochs: startEpoch);
        for (int epoch = startEpoch; epoch < cfg.Epochs; epoch++)
        {
            if (TrainEpoch(epoch) is not { } meanLoss)
                return Result(completed: false, epoch);
            var metrics = new Dictionary<string, double>
            {
                [RunMetrics.Loss.Key] = meanLoss,
                [RunMetrics.LearningRate.Key] = built.Optimizer.LearningRate(ParamGroupRole.Backbone) ?? cfg.LearningRate,
            };
            if (confidence is not null) foreach (var (k, v) in confidence.Metrics) metrics[k] = v;
            schedule.step();
            var retrieval = Measure(epoch, metrics);
            Checkpoint(epoch, metrics);
            opts.Progress.EpochCompleted(epoch, metrics);
            (last, lastRetrieval) = (metrics, retrieval);
        }
        var result = Result(completed: true, cfg.Epochs);
        run.WriteResult(result);
        return result;

        // The result so far, stamped with this build (KitBuild) so that later reuse can tell which code trained it.
        TrainingResult Result(bool completed, int epochs) =>
            new(run.Root, completed, epochs, step, last, timer.Timings()) { Retrieval = lastRetrieval, KitVersion = KitBuild.Version };
    }

    // The newest checkpoint written by this config (model, loss and queues, optimizer, RNG, sampler position); metric rows
    // of epochs after it are redone, so they are dropped and the files end as an uninterrupted run's. Returns its epoch.
    private int Restore()
    {
        var progress = opts.Progress;
        int startEpoch = 0;
        var restored = store.LoadLatest(new CheckpointTargets
        {
            Modules = modules, Optimizer = built.Optimizer.Optimizer, Config = cfg, ConfigSource = run.ConfigPath,
        }, progress.Message);
        if (restored is not null)
        {
            if (restored.Epoch > cfg.Epochs)
                throw new CheckpointMismatchException($"checkpoint '{restored.Path}' holds {restored.Epoch} epochs but {run.ConfigPath} " +
                    $"asks for {cfg.Epochs}; it belongs to another run.");
            (startEpoch, step) = (restored.Epoch, restored.Step);
            foreach (var t in restored.Extra.Values) t.Dispose();
            if (restored.SamplerState is { } s) built.Inputs.Restore(s.Deserialize<SamplerState>(TrainingConfigJson.Options));
            progress.Message($"resumed {run.Root} at epoch {startEpoch} (step {step}) from {Path.GetFileName(restored.Path)}");
        }
        else progress.Message($"no usable checkpoint in {store.Directory}: restarting {run.Root} from epoch 0");
        int dropped = run.TruncateEpochs(startEpoch);
        if (dropped > 0) progress.Message($"dropped {dropped} metric row(s) after epoch {startEpoch} (they are recomputed)");
        return startEpoch;
    }

    // The epoch's remaining steps; the mean training loss, or null when a stop (signal or step limit) came first.
    private double? TrainEpoch(int epoch)
    {
        var (net, loss, optimizer, inputs) = (built.Network, built.Loss, built.Optimizer, built.Inputs);
        Freezing.ApplyWarmup(net.Backbone, epoch, cfg.WarmupEpochs, cfg.BatchNormFreeze);
        Freezing.SetTrainMode(net, cfg.BatchNormFreeze);
        loss.train();
        int stepsPerEpoch = inputs.BatchesPerEpoch;
        opts.Progress.EpochStarted(epoch, cfg.Epochs, stepsPerEpoch);
        double lossSum = 0;
        int lossCount = 0;
        using var batches = inputs.EpochBatches().GetEnumerator();
        while (true)
        {
            throughput.StartStep();
            timer.Start();
            if (!batches.MoveNext()) break;
            // Checked once a batch exists, so a stop at an epoch boundary still finishes (and checkpoints) that epoch.
            if (opts.Cancellation.IsCancellationRequested || step >= opts.StopAfterSteps)
            {
                batches.Current.Dispose();
                return null;
            }
            timer.Stop(Phase.Data);
            GcQuiet.Enter();   // no GC from another thread while libtorch reads this step's implicit Scalars
            using var batch = batches.Current;
            using var scope = NewDisposeScope();
            optimizer.Optimizer.zero_grad();
            var output = loss.call(net.forward(batch.Images), batch.Labels, new ObjectiveStep(epoch, confidence?.Table.Rows(batch.Indices, built.Device)));
            timer.Stop(Phase.Forward);
            output.Total.backward();
            Freezing.ClipGradValue(net.parameters(), cfg.GradClipValue);
            Freezing.ClipGradValue(loss.parameters(), cfg.GradClipValue);
            optimizer.Optimizer.step();
            double value = output.TotalValue;
            timer.Stop(Phase.Backward);
            timer.Images += batch.Indices.Length;
            lossSum += value;
            lossCount++;
            step++;
            throughput.EndStep(batch.Indices.Length);
            opts.Progress.StepCompleted(new ProgressUpdate(epoch, cfg.Epochs, (int)((step - 1) % Math.Max(1, stepsPerEpoch)) + 1, stepsPerEpoch, value,
                optimizer.LearningRate(ParamGroupRole.Backbone) ?? cfg.LearningRate, throughput.ImagesPerSecond,
                throughput.Eta((long)(cfg.Epochs - epoch) * stepsPerEpoch)));
        }
        return lossCount > 0 ? lossSum / lossCount : double.NaN;
    }

    // End of an epoch: the proxy–center deviation (Eq. 10) on the training set when due, retrieval on the held-out classes
    // when due and at the last epoch; both go into `metrics`. Returns the retrieval result, if this epoch evaluated.
    private RetrievalResult? Measure(int epoch, Dictionary<string, double> metrics)
    {
        GcQuiet.Enter();   // the deviation pass and the evaluation call libtorch with implicit Scalars too
        if (cfg.DeviationEveryEpochs > 0 && (epoch + 1) % cfg.DeviationEveryEpochs == 0)
        {
            timer.Start();
            var dev = Trainer.Deviation(built.Inputs, built.Loss, built.Data, evalBatch, built.Device);
            metrics[RunMetrics.Deviation.Key] = dev.Primary;
            metrics[RunMetrics.DeviationPairwise.Key] = dev.Pairwise;
            timer.Stop(Phase.Deviation);
        }
        if ((epoch + 1) % cfg.EvalEveryEpochs != 0 && epoch + 1 != cfg.Epochs) return null;
        timer.Start();
        var retrieval = Trainer.Evaluate(built.Inputs, built.Data.Dataset.Test, evalBatch, built.Device, cfg.ComputeNmi);
        foreach (var (m, v) in RetrievalMetrics.Values(retrieval)) metrics[m.Key] = v;
        timer.Stop(Phase.Evaluation);
        return retrieval;
    }

    // The epoch's metric row, then an atomic checkpoint of everything a resume needs.
    private void Checkpoint(int epoch, Dictionary<string, double> metrics)
    {
        timer.Start();
        run.AppendEpoch(epoch, step, metrics);
        store.Save(new CheckpointState
        {
            Epoch = epoch + 1, Step = step, Modules = modules, Optimizer = built.Optimizer.Optimizer, Config = cfg,
            SamplerState = JsonSerializer.SerializeToElement(built.Inputs.State, TrainingConfigJson.Options),
        });
        timer.Stop(Phase.Checkpoint);
    }

    /// <summary>Releases the confidence stage.</summary>
    public void Dispose() => confidence?.Dispose();
}
