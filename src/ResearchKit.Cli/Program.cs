using System.CommandLine;

namespace ResearchKit.Cli;

/// <summary>Entry point of the <c>researchkit</c> command.</summary>
public static class Program
{
    /// <summary>Builds the command tree and runs it.</summary>
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The command tree; each command lives in its own file under <c>Commands/</c>.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ResearchKit: deep metric learning with the Calibrate Proxy structure (arXiv 2304.09162).");
        // One line per command group (Commands/*.cs).
        root.Subcommands.Add(Commands.DataCommand.Build());
        root.Subcommands.Add(Commands.ListCommand.Build());
        root.Subcommands.Add(Commands.RunCommand.Build());
        root.Subcommands.Add(Commands.TrainCommand.Build());
        root.Subcommands.Add(Commands.EvalCommand.Build());
        root.Subcommands.Add(Commands.ReportCommand.Build());
        root.Subcommands.Add(Commands.NotebookCommand.Build());
        root.Subcommands.Add(Commands.DemoCommand.Build());
        return root;
    }
}
