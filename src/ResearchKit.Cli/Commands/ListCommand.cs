using System.CommandLine;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit list</c>: the registered experiments and profiles.</summary>
public static class ListCommand
{
    /// <summary>The command with its arguments, options and action, for the root command to add.</summary>
    public static Command Build()
    {
        var cmd = new Command("list", "List the experiments and profiles.");
        cmd.SetAction(_ =>
        {
            Console.WriteLine("experiments:");
            foreach (var e in ExperimentRegistry.All)
                Console.WriteLine($"  {e.Name,-8} {e.Variants.Count,2} variants  {e.Description}");
            Console.WriteLine("profiles:");
            foreach (var p in Profiles.All)
                Console.WriteLine($"  {p.Name,-8} {p.DefaultSeeds} seed(s)  {p.Description}");
            return 0;
        });
        return cmd;
    }
}
