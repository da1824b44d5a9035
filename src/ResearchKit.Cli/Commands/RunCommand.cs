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
        var profile = new Option<string>("--profile") { Description = $"{string.Join(", ", Profiles.All.Select(p => p.Name))} (see `list`).", DefaultValueFactory = _ => "default" };
        var seeds = new Option<int?>("--seeds") { Description = "Seeds per config (default: the profile's)." };
        var output = new Option<string>("--out") { Description = "Output root.", DefaultValueFactory = _ => "runs" };
        var shard = new Option<string>("--shard") { Description = "Run only shard i of n (i/n, 0-based), e.g. for a Slurm array.", DefaultValueFactory = _ => "0/1" };
        var device = new Option<string?>("--device") { Description = "Device override (cpu, cuda, cuda:1)." };
        var dataRoot = new Option<string?>("--data-root") { Description = "Data root (default $RESEARCHKIT_DATA or ~/.researchkit/data)." };
        var jobs = new Option<string>("--jobs")
        {
            Description = "Runs trained at once, each in its own process: auto (CPU: cores / the profile's threads per run, " +
                "at most 8; GPU: 1) or a count.",
            DefaultValueFactory = _ => "auto",
        };
        // Set by a parent that split its shard over workers (RunLanes): standard input is the parent's lifeline.
        var worker = new Option<bool>("--worker") { Hidden = true };
        var variant = new Option<string[]>("--variant")
        {
            Description = "Train only this row (repeat for several; default: every row). The folder's table then holds these rows.",
        };
        // Set by a notebook kernel that runs the experiment here (CliLanes): a line `stop` or the end of standard input
        // stops this command and its workers, so none outlives the kernel.
        var lifeline = new Option<bool>("--stdin-lifeline") { Hidden = true };
        var cmd = new Command(Name, "Run an experiment at a profile; prints and saves its table (table.csv).")
            { experiment, profile, seeds, output, shard, device, dataRoot, jobs, variant, worker, lifeline };
        cmd.SetAction(parse =>
        {
            var e = UsageException.Resolve(() => ExperimentRegistry.Get(parse.GetValue(experiment)!));
            if (parse.GetValue(variant) is { Length: > 0 } rows)
                e = UsageException.Resolve(() => e with { Variants = rows.Distinct().Select(e.Variant).ToList() });
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
            var requested = UsageException.Resolve(() => RunLanes.ParseJobs(parse.GetValue(jobs)!));
            bool isWorker = parse.GetValue(worker);
            int owned = ExperimentRunner.Owned(plan, part).Count;
            int lanes = isWorker ? 1 : Math.Min(owned, requested ?? RunLanes.Auto(p, parse.GetValue(device), owned, Environment.ProcessorCount));
            if (isWorker || parse.GetValue(lifeline)) StopSignals.Current.WatchParent(Console.In);
            if (lanes > 1)
                return RunInLanes(parse, e, p, seedCount, part, lanes, parse.GetValue(output)!);
            var options = new TrainerOptions
            {
                Cancellation = StopSignals.Current.Token, DataRoot = parse.GetValue(dataRoot),
                Progress = parse.GetValue(Program.Verbose) ? new LogProgress(Console.Out) : new QuietProgress(Console.WriteLine),
            };
            var table = ExperimentRunner.Run(e, p, parse.GetValue(output)!, seedCount, part, parse.GetValue(device), options, Console.WriteLine);
            if (table.Stopped is { } stopped)
                return TrainCommand.Stopped(stopped, $"the same `researchkit run` command");
            if (isWorker) return 0;   // the parent prints the table of all lanes
            Console.WriteLine();
            Console.WriteLine(table.Format());
            Console.WriteLine($"table: {table.CsvPath}");
            return 0;
        });
        return cmd;

        // This shard's runs over `lanes` worker processes (RunLanes), then the table of everything the folder holds.
        int RunInLanes(ParseResult parse, Experiment e, ExperimentProfile p, int seedCount, Shard part, int lanes, string outRoot)
        {
            var folder = ExperimentRunner.OutputFolder(outRoot, e, p);
            using var shardLock = ExperimentRunner.LockShard(folder, part, Console.WriteLine);
            Console.WriteLine($"{ExperimentRunner.Owned(e.Plan(p, seedCount), part).Count} runs in {lanes} worker processes (--jobs {lanes})");
            List<string> args = [Name, e.Name, "--profile", p.Name, "--seeds", $"{seedCount}", "--out", outRoot, "--jobs", "1"];
            if (parse.GetValue(device) is { } d) args.AddRange(["--device", d]);
            if (parse.GetValue(dataRoot) is { } r) args.AddRange(["--data-root", r]);
            foreach (var v in parse.GetValue(variant) ?? []) args.AddRange(["--variant", v]);
            if (parse.GetValue(Program.Verbose)) args.Add("--verbose");
            var codes = RunLanes.Run(args, part, lanes, StopSignals.Current.Token);
            var table = ExperimentTable.Build(e, p, folder, requireRuns: false);
            if (StopSignals.Current.Received is not null || codes.Any(c => c != 0))
            {
                Console.WriteLine($"stopped: {table.Missing.Count} planned run(s) of {e.Name} not finished in {folder}; " +
                    "continue with: the same `researchkit run` command");
                return StopSignals.Current.Received is not null ? StopSignals.Current.ExitCode : codes.First(c => c != 0);
            }
            Console.WriteLine();
            Console.WriteLine(table.Format());
            Console.WriteLine($"table: {table.CsvPath}");
            return 0;
        }
    }

    private const string Name = "run";
}
