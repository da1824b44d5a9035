using System.CommandLine;

namespace ResearchKit.Cli;

/// <summary>Entry point of the <c>researchkit</c> command.</summary>
public static class Program
{
    /// <summary>Builds the command tree and runs it.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("ResearchKit: deep metric learning with the Calibrate Proxy structure.");
        return root.Parse(args).Invoke();
    }
}
