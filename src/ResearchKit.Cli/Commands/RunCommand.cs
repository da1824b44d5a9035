using System.CommandLine;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Experiments;
using ResearchKit.Training.Progress;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit run &lt;experiment&gt;</c>: trains an experiment's grid (or one shard of it) and prints its table.</summary>
public static class RunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var experiment = new Argument<string>("experiment") { Description = "Experiment name (see `list`)." };
        var profile = new Option<string>("--profile") { Description = "paper, default or smoke.", DefaultValueFactory = _ => "default" };
        var seeds = new Option<int?>("--seeds") { Description = "Seeds per config (default: the profile's)." };
        var output = new Option<string>("--out") { Description = "Output root.", DefaultValueFactory = _ => "runs" };
        var shard = new Option<string>("--shard") { Description = "Run only shard i of n (i/n, 0-based), e.g. for a Slurm array.", DefaultValueFactory = _ => "0/1" };
        var device = new Option<string?>("--device") { Description = "Device override (cpu, cuda, cuda:1)." };
        var verbose = new Option<bool>("--verbose") { Description = "Log training steps." };
        var cmd = new Command("run", "Run an experiment at a profile; prints and saves its table (table.csv).")
            { experiment, profile, seeds, output, shard, device, verbose };
        cmd.SetAction((parse, token) =>
        {
            var e = ExperimentRegistry.Get(parse.GetValue(experiment)!);
            var p = Profiles.Get(parse.GetValue(profile)!);
            var part = Shard.Parse(parse.GetValue(shard)!);
            var options = new TrainerOptions
            {
                Cancellation = token,
                Progress = parse.GetValue(verbose) ? new LogProgress(Console.Out) : new QuietProgress(),
            };
            var table = ExperimentRunner.Run(e, p, parse.GetValue(output)!, parse.GetValue(seeds), part, parse.GetValue(device), options, Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine(table.Format());
            Console.WriteLine($"table: {table.CsvPath}");
            return Task.FromResult(0);
        });
        return cmd;
    }
}
