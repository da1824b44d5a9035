using System.CommandLine;
using ResearchKit.Training.Config;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Progress;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit train --config file.json</c>: one training run (resumes when the run folder already holds one).</summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var config = new Option<string?>("--config") { Description = "Training config JSON (missing fields take the paper's defaults)." };
        var output = new Option<string>("--out") { Description = "Run folder.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its newest checkpoint." };
        var cmd = new Command("train", "Train one run from a config file, or resume one.") { config, output, resume };
        cmd.SetAction((parse, token) =>
        {
            var options = new TrainerOptions { Cancellation = token, Progress = new LogProgress(Console.Out) };
            var dir = parse.GetValue(output)!;
            TrainingResult result;
            if (parse.GetValue(resume)) result = Trainer.Resume(dir, options);
            else
            {
                var path = parse.GetValue(config) ?? throw new ArgumentException("train needs --config file.json (or --resume).", "--config");
                result = Trainer.Train(TrainingConfigJson.Load(path), dir, options);
            }
            Console.WriteLine($"{(result.Completed ? "finished" : "stopped")} after {result.EpochsCompleted} epochs, {result.Steps} steps: {result.RunDirectory}");
            foreach (var (k, v) in result.FinalMetrics.OrderBy(kv => kv.Key)) Console.WriteLine($"  {k} = {v:F4}");
            var t = result.Timings;
            Console.WriteLine($"time: data {t.Data:F1} s, forward {t.Forward:F1} s, backward {t.Backward:F1} s, evaluation {t.Evaluation:F1} s, " +
                $"deviation {t.Deviation:F1} s, checkpoints {t.Checkpoint:F1} s; {t.TrainImagesPerSecond:F0} train images/s");
            return Task.FromResult(result.Completed ? 0 : 2);
        });
        return cmd;
    }
}
