using System.CommandLine;
using ResearchKit.Cli.Infrastructure;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Progress;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit run &lt;experiment&gt;</c>: trains an experiment's grid (or one shard of it) and prints its table.</summary>
public static class RunCommand
{
    /// <summary>The command with its arguments, options and action, for the root command to add.</summary>
    public static Command Build()
    {
        var experiment = new Argument<string>("experiment") { Description = "Experiment name (see `list`)." };
        var profile = new Option<string>("--profile") { Description = "paper, default or smoke.", DefaultValueFactory = _ => "default" };
        var seeds = new Option<int?>("--seeds") { Description = "Seeds per config (default: the profile's)." };
        var output = new Option<string>("--out") { Description = "Output root.", DefaultValueFactory = _ => "runs" };
        var shard = new Option<string>("--shard") { Description = "Run only shard i of n (i/n, 0-based), e.g. for a Slurm array.", DefaultValueFactory = _ => "0/1" };
        var device = new Option<string?>("--device") { Description = "Device override (cpu, cuda, cuda:1)." };
        var dataRoot = new Option<string?>("--data-root") { Description = "Data root (default $RESEARCHKIT_DATA or ~/.researchkit/data)." };
        var cmd = new Command("run", "Run an experiment at a profile; prints and saves its table (table.csv).")
            { experiment, profile, seeds, output, shard, device, dataRoot };
        cmd.SetAction(parse =>
        {
            var e = UsageException.Resolve(() => ExperimentRegistry.Get(parse.GetValue(experiment)!));
            var p = UsageException.Resolve(() => Profiles.Get(parse.GetValue(profile)!));
            var part = UsageException.Resolve(() => Shard.Parse(parse.GetValue(shard)!));
            int seedCount = parse.GetValue(seeds) ?? p.DefaultSeeds;
            var plan = UsageException.Resolve(() => e.Plan(p, seedCount));
            if (ExperimentRunner.Owned(plan, part).Count == 0)
            {
                Console.WriteLine($"shard {part.Index}/{part.Count} owns none of the {plan.Count} runs of {e.Name} ({p.Name} profile, " +
                    $"{seedCount} seed(s)): nothing to do.");
                return 0;
            }
            var options = new TrainerOptions
            {
                Cancellation = StopSignals.Current.Token, DataRoot = parse.GetValue(dataRoot),
                Progress = parse.GetValue(Program.Verbose) ? new LogProgress(Console.Out) : new QuietProgress(Console.WriteLine),
            };
            var table = ExperimentRunner.Run(e, p, parse.GetValue(output)!, seedCount, part, parse.GetValue(device), options, Console.WriteLine);
            if (table.Stopped is { } stopped)
                return TrainCommand.Stopped(stopped, $"the same `researchkit run` command");
            Console.WriteLine();
            Console.WriteLine(table.Format());
            Console.WriteLine($"table: {table.CsvPath}");
            return 0;
        });
        return cmd;
    }
}
