using System.Reflection;
using BenchmarkDotNet.Running;
using ResearchKit.Training;

namespace ResearchKit.Benchmarks;

/// <summary>
/// A bench command: a measured run that is not a BenchmarkDotNet suite (e.g. SOP-scale evaluation,
/// native-memory soak), reporting its own numbers. Implementations are discovered by reflection.
/// </summary>
public interface IBenchCommand
{
    /// <summary>Name used on the command line.</summary>
    string Name { get; }
    /// <summary>One line shown in the list.</summary>
    string Description { get; }
    /// <summary>Runs it; returns the process exit code.</summary>
    int Run(string[] args);
}

/// <summary>Entry point: `dotnet run -c Release --project bench/ResearchKit.Benchmarks -- [command|BenchmarkDotNet args]`.</summary>
public static class Program
{
    /// <summary>Dispatches to a bench command or to BenchmarkDotNet's switcher.</summary>
    public static int Main(string[] args)
    {
        NativeHeap.Configure();   // as the CLI does, so kit numbers are the ones users get
        var commands = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchCommand)Activator.CreateInstance(t)!)
            .ToDictionary(c => c.Name);
        if (args.Length > 0 && commands.TryGetValue(args[0], out var command))
            return command.Run(args[1..]);
        if (args.Length > 0 && args[0] == "list")
        {
            foreach (var c in commands.Values.OrderBy(c => c.Name)) Console.WriteLine($"{c.Name,-20} {c.Description}");
            Console.WriteLine("(anything else goes to BenchmarkDotNet, e.g. --filter '*')");
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
