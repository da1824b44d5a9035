using System.CommandLine;
using ResearchKit.Cli.Infrastructure;
using ResearchKit.Training;

namespace ResearchKit.Cli;

/// <summary>Entry point of the <c>researchkit</c> command.</summary>
public static class Program
{
    /// <summary><c>--verbose</c>, on every command: training steps, and the stack trace of an error.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "More output: every logged training step, and the stack trace of an error.", Recursive = true,
    };

    /// <summary>
    /// Parses and runs the command. Exit codes: 0 done; 1 failed at run time (one line on standard error naming the file,
    /// field or folder); 2 bad command line; 128 + N stopped by signal N (130 SIGINT, 143 SIGTERM) after printing where.
    /// </summary>
    public static int Main(string[] args)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine($"usage: researchkit {string.Join(' ', CommandPath(parse))} --help");
            return CliErrors.Usage;
        }
        using var signals = StopSignals.Install();
        NativeHeap.Configure();   // before libtorch allocates anything (eval and report allocate too, not only training)
        try
        {
            // Our own signal handling (StopSignals) and error reports (CliErrors) instead of System.CommandLine's.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, parse.GetValue(Verbose), Console.Error);
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            if (c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        return names;
    }

    /// <summary>The command tree; each command lives in its own file under <c>Commands/</c>.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ResearchKit: deep metric learning with the Calibrate Proxy structure (arXiv 2304.09162).");
        root.Options.Add(Verbose);
        // One line per command group (Commands/*.cs).
        root.Subcommands.Add(Commands.DataCommand.Build());
        root.Subcommands.Add(Commands.ListCommand.Build());
        root.Subcommands.Add(Commands.RunCommand.Build());
        root.Subcommands.Add(Commands.TrainCommand.Build());
        root.Subcommands.Add(Commands.EvalCommand.Build());
        root.Subcommands.Add(Commands.ReportCommand.Build());
        root.Subcommands.Add(Commands.VerdictCommand.Build());
        root.Subcommands.Add(Commands.NotebookCommand.Build());
        root.Subcommands.Add(Commands.DemoCommand.Build());
        return root;
    }
}
