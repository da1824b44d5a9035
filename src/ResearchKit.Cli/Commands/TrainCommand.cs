using System.CommandLine;
using ResearchKit.Cli.Infrastructure;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Progress;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit train --config file.json --out dir</c>: one training run, or <c>--resume</c> of one.</summary>
public static class TrainCommand
{
    /// <summary>The command with its arguments, options and action, for the root command to add.</summary>
    public static Command Build()
    {
        var config = new Option<string?>("--config") { Description = "Training config JSON (missing fields take the paper's defaults). With --resume: must equal the run's config." };
        var output = new Option<string>("--out") { Description = "Run folder.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its newest checkpoint." };
        var dataRoot = new Option<string?>("--data-root") { Description = "Data root (default $RESEARCHKIT_DATA or ~/.researchkit/data)." };
        var cmd = new Command("train", "Train one run from a config file, or resume one.") { config, output, resume, dataRoot };
        cmd.SetAction(parse =>
        {
            var options = new TrainerOptions
            {
                Cancellation = StopSignals.Current.Token, Progress = new LogProgress(Console.Out), DataRoot = parse.GetValue(dataRoot),
            };
            var dir = parse.GetValue(output)!;
            var path = parse.GetValue(config);
            TrainingConfig? cfg = path is null ? null : TrainingConfigJson.Load(path);
            if (cfg is not null)
                Console.WriteLine($"config {path}: {cfg.Dataset}, {cfg.Backbone}, D = {cfg.EmbeddingSize}, {cfg.Loss.Kind}" +
                    $"{(cfg.Loss.CalibrateProxy ? " + CP" : "")}, {cfg.Epochs} epochs, batch {cfg.BatchSize}, {cfg.Device} (fields not in the file take the paper's defaults)");
            TrainingResult result;
            if (parse.GetValue(resume)) result = Trainer.Resume(dir, options, expected: cfg);
            else result = Trainer.Train(cfg ?? throw new UsageException("train needs --config FILE (or --resume to continue the run in --out)."), dir, options);
            if (!result.Completed) return Stopped(result, $"researchkit train --resume --out {dir}");
            Console.WriteLine($"finished after {result.EpochsCompleted} epochs, {result.Steps} steps: {result.RunDirectory}");
            foreach (var (k, v) in result.FinalMetrics.OrderBy(kv => kv.Key)) Console.WriteLine($"  {k} = {v:F4}");
            var t = result.Timings;
            Console.WriteLine($"time: data {t.Data:F1} s, forward {t.Forward:F1} s, backward {t.Backward:F1} s, evaluation {t.Evaluation:F1} s, " +
                $"deviation {t.Deviation:F1} s, checkpoints {t.Checkpoint:F1} s; {t.TrainImagesPerSecond:F0} train images/s");
            return 0;
        });
        return cmd;
    }

    /// <summary>Prints where a stopped run stopped and how to continue it; returns the exit code (128 + the signal).</summary>
    public static int Stopped(TrainingResult result, string continueWith)
    {
        ArgumentNullException.ThrowIfNull(result);
        Console.WriteLine($"stopped during epoch {result.EpochsCompleted + 1} (step {result.Steps}): {result.EpochsCompleted} epoch(s) " +
            $"checkpointed in {result.RunDirectory}; continue with: {continueWith}");
        return StopSignals.Current.ExitCode;
    }
}
