using System.Diagnostics;
using System.Text.Json;
using ResearchKit.Data;
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
/// <see cref="ResearchKit.Losses.IProxyObjective"/> → backward → clip by value → AdamW (proxies at 100× lr) → per-epoch schedule.
/// Warm-up epochs train only head and proxies. Every epoch: deviation (Eq. 10) on the training set, metrics to the run
/// folder, an atomic checkpoint (model, loss with its queue buffers, optimizer, torch RNG, sampler position); every
/// <see cref="TrainingConfig.EvalEveryEpochs"/> epochs and at the end: retrieval metrics on the held-out classes.
/// A run stopped at any point resumes from its last checkpoint to the same final metrics and parameters.
/// </summary>
public static class Trainer
{
    /// <summary>Metric name of the mean training loss of an epoch.</summary>
    public const string LossMetric = "loss";
    /// <summary>Metric name of the deviation (Eq. 10, primary form).</summary>
    public const string DeviationMetric = "deviation";
    /// <summary>Metric name of the pairwise deviation form.</summary>
    public const string DeviationPairwiseMetric = "deviation_pairwise";
    /// <summary>Metric name of the backbone learning rate.</summary>
    public const string LrMetric = "lr";

    /// <summary>Starts a new run in <paramref name="runDirectory"/> (which must not hold files yet).</summary>
    /// <exception cref="ArgumentException">Invalid config, or the folder already holds a run.</exception>
    public static TrainingResult Train(TrainingConfig config, string runDirectory, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        var full = Path.GetFullPath(runDirectory);
        using var run = RunDirectory.Create(Path.GetDirectoryName(full)!, Path.GetFileName(full), config.Validate());
        return Run(config, run, options ?? new TrainerOptions(), resume: false);
    }

    /// <summary>Continues the run in <paramref name="runDirectory"/> from its newest valid checkpoint (or from scratch if none).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder holds no run.</exception>
    public static TrainingResult Resume(string runDirectory, TrainerOptions? options = null)
    {
        using var run = RunDirectory.Open(runDirectory);
        return Run(run.LoadConfig(), run, options ?? new TrainerOptions(), resume: true);
    }

    private static TrainingResult Run(TrainingConfig cfg, RunDirectory run, TrainerOptions opts, bool resume)
    {
        var progress = opts.Progress;
        // A finished run resumes to its result without loading data or rebuilding anything (e.g. the confidence stage).
        if (resume && FinishedResult(run, cfg) is { } finished) return finished;
        Determinism.Initialize(cfg.Seed, cfg.Threads);
        var device = torch.device(cfg.Device);
        var data = TrainingData.For(cfg, opts.Dataset, opts.DataRoot);
        int workers = cfg.Workers > 0 ? cfg.Workers : Environment.ProcessorCount;

        // Images, or cached outputs of a frozen pretrained front (CachedInput); the network is what trains on them.
        using var inputs = RunInputs.Create(cfg, data, device, workers, opts.FeatureCacheDirectory ?? run.Root, progress.Message);
        var net = inputs.Network;
        var loss = LossFactory.Create(cfg.Loss, data.Train.ClassCount, cfg.EmbeddingSize);
        if (cfg.BatchNormFreeze != BatchNormFreeze.None) Freezing.FreezeBatchNormAffine(net);
        net.to(device);
        loss.Module.to(device);   // before the optimizer: .to() replaces parameter objects (platform.md §5.2)
        var setup = OptimizerFactory.AdamW(ParameterGroups.From(net, loss.Module), cfg);
        // Smooth Proxy-Anchor: train the confidence module on frozen features before any step (and before a checkpoint
        // overwrites the pretrained weights on resume); null for every other loss.
        using var confidence = ConfidenceStage.Build(cfg, data, net, device, workers, opts.FeatureCacheDirectory ?? run.Root,
            inputs.PooledTrainFeatures(evalBatch: Math.Max(cfg.BatchSize, 256)));
        if (confidence?.Quality is { } q)
            progress.Message($"confidence module ({confidence.Features}): true class on top for {q.FlippedTrueIsTop:P1} of {q.Flipped} flipped samples, " +
                $"label on top for {q.CleanLabelIsTop:P1} of {q.Clean} clean samples");

        var store = run.Checkpoints(cfg.KeepCheckpoints);
        var modules = new Dictionary<string, nn.Module> { ["model"] = net, ["loss"] = loss.Module };

        int startEpoch = 0;
        long step = 0;
        if (resume)
        {
            var restored = store.LoadLatest(new CheckpointTargets { Modules = modules, Optimizer = setup.Optimizer }, progress.Message);
            if (restored is not null)
            {
                (startEpoch, step) = (restored.Epoch, restored.Step);
                foreach (var t in restored.Extra.Values) t.Dispose();
                if (restored.SamplerState is { } s) inputs.Restore(s.Deserialize<SamplerState>(TrainingConfigJson.Options));
                progress.Message($"resumed {run.Root} at epoch {startEpoch} (step {step})");
            }
        }
        var schedule = LrSchedules.Create(setup.Optimizer, cfg.Schedule, cfg.Epochs, completedEpochs: startEpoch);

        var timer = new PhaseTimer();
        var throughput = new ThroughputMeter();
        IReadOnlyDictionary<string, double> last = new Dictionary<string, double>();
        int evalBatch = Math.Max(cfg.BatchSize, 256);
        for (int epoch = startEpoch; epoch < cfg.Epochs; epoch++)
        {
            Freezing.ApplyWarmup(net.Backbone, epoch, cfg.WarmupEpochs, cfg.BatchNormFreeze);
            Freezing.SetTrainMode(net, cfg.BatchNormFreeze);
            loss.Module.train();
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
                        return Stopped(run, startEpoch: epoch, step, last, timer);
                    }
                    timer.Stop(Phase.Data);
                    using var batch = batches.Current;
                    using var scope = NewDisposeScope();
                    setup.Optimizer.zero_grad();
                    var output = loss.Compute(net.forward(batch.Images), batch.Labels, epoch, confidence?.Table.Rows(batch.Indices, device));
                    timer.Stop(Phase.Forward);
                    output.Total.backward();
                    Freezing.ClipGradValue(net.parameters(), cfg.GradClipValue);
                    Freezing.ClipGradValue(loss.Module.parameters(), cfg.GradClipValue);
                    setup.Optimizer.step();
                    double value = output.TotalValue;
                    timer.Stop(Phase.Backward);
                    timer.Images += batch.Indices.Length;
                    lossSum += value;
                    lossCount++;
                    step++;
                    throughput.EndStep(batch.Indices.Length);
                    progress.StepCompleted(new ProgressUpdate(epoch, cfg.Epochs, (int)(step % Math.Max(1, stepsPerEpoch)), stepsPerEpoch, value,
                        setup.LearningRate(ParamGroupRole.Backbone) ?? cfg.LearningRate, throughput.ImagesPerSecond,
                        throughput.Eta((long)(cfg.Epochs - epoch) * stepsPerEpoch)));
                }
            }
            var metrics = new Dictionary<string, double>
            {
                [LossMetric] = lossCount > 0 ? lossSum / lossCount : double.NaN,
                [LrMetric] = setup.LearningRate(ParamGroupRole.Backbone) ?? cfg.LearningRate,
            };
            if (confidence is not null) foreach (var (k, v) in confidence.Metrics) metrics[k] = v;
            schedule.step();
            if (cfg.DeviationEveryEpochs > 0 && (epoch + 1) % cfg.DeviationEveryEpochs == 0)
            {
                timer.Start();
                var dev = Deviation(inputs, loss, data, evalBatch, device);
                metrics[DeviationMetric] = dev.Primary;
                metrics[DeviationPairwiseMetric] = dev.Pairwise;
                timer.Stop(Phase.Deviation);
            }
            if ((epoch + 1) % cfg.EvalEveryEpochs == 0 || epoch + 1 == cfg.Epochs)
            {
                timer.Start();
                foreach (var (k, v) in Evaluate(inputs, data.Dataset.Test, evalBatch, device, cfg.ComputeNmi)) metrics[k] = v;
                timer.Stop(Phase.Evaluation);
            }
            timer.Start();
            run.AppendEpoch(epoch, step, metrics);
            store.Save(new CheckpointState
            {
                Epoch = epoch + 1, Step = step, Modules = modules, Optimizer = setup.Optimizer,
                SamplerState = JsonSerializer.SerializeToElement(inputs.State, TrainingConfigJson.Options),
            });
            timer.Stop(Phase.Checkpoint);
            progress.EpochCompleted(epoch, metrics);
            last = metrics;
        }
        var result = new TrainingResult(run.Root, true, cfg.Epochs, step, last, timer.Timings());
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

    /// <summary>Retrieval metrics of <paramref name="network"/> on a split (query = reference, self excluded).</summary>
    public static IReadOnlyDictionary<string, double> Evaluate(EmbeddingNetwork network, DataSplit split, ImagePipeline pipeline,
        int batchSize, Device device, int workers = 0, bool computeNmi = false)
    {
        using var scope = NewDisposeScope();
        var embeddings = Embedder.Embed(network, split, pipeline, batchSize, device, workers);
        var result = RetrievalEvaluator.Evaluate(embeddings, split.Labels(device), new RetrievalOptions { ComputeNmi = computeNmi }, device);
        return MetricsOf(result);
    }

    internal static IReadOnlyDictionary<string, double> Evaluate(RunInputs inputs, DataSplit test, int batchSize, Device device, bool computeNmi)
    {
        using var scope = NewDisposeScope();
        var embeddings = inputs.Embed(test: true, batchSize);
        return MetricsOf(RetrievalEvaluator.Evaluate(embeddings, test.Labels(device), new RetrievalOptions { ComputeNmi = computeNmi }, device));
    }

    /// <summary>Flattens a retrieval result to metric names (PML's names: recall_at_k, precision_at_1, r_precision, MAP@R, NMI).</summary>
    public static IReadOnlyDictionary<string, double> MetricsOf(RetrievalResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var m = new Dictionary<string, double>
        {
            [RetrievalResult.Names.PrecisionAt1] = result.PrecisionAt1,
            [RetrievalResult.Names.RPrecision] = result.RPrecision,
            [RetrievalResult.Names.MapAtR] = result.MapAtR,
        };
        foreach (var (k, v) in result.RecallAt) m[RetrievalResult.Names.RecallPrefix + k] = v;
        if (result.Nmi is { } nmi) m[RetrievalResult.Names.Nmi] = nmi;
        return m;
    }

    private static DeviationResult Deviation(RunInputs inputs, BuiltObjective loss, TrainingData data, int batchSize, Device device)
    {
        using var scope = NewDisposeScope();
        var embeddings = inputs.Embed(test: false, batchSize);
        return ProxyCenterDeviation.Compute(embeddings, data.Train.Labels(device), loss.Proxies.Proxies.detach(), loss.Proxies.ProxiesPerClass);
    }
}
