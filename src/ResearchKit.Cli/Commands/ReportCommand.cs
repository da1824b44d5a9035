using System.CommandLine;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit report &lt;dir&gt;</c>: merges the runs of an experiment folder (all shards) into its table.</summary>
public static class ReportCommand
{
    /// <summary>The command with its arguments, options and action, for the root command to add.</summary>
    public static Command Build()
    {
        var dir = new Argument<string>("dir") { Description = "An experiment output folder (e.g. runs/table1-default)." };
        var cmd = new Command("report", "Aggregate an experiment folder's finished runs (every shard) into table.csv and print it.") { dir };
        cmd.SetAction(parse =>
        {
            var table = ExperimentTable.Build(parse.GetValue(dir)!);
            Console.WriteLine(table.Format());
            Console.WriteLine($"table: {table.CsvPath}");
            if (table.Missing.Count > 0) Console.Error.WriteLine($"warning: {table.Missing.Count} run(s) missing from the table (listed above)");
            return 0;
        });
        return cmd;
    }
}
