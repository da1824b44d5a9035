namespace ResearchKit.Cli.Infrastructure;

/// <summary>A command line that cannot mean anything (unknown name, malformed value, missing option): exit code 2.</summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Runs <paramref name="resolve"/>, turning its <see cref="ArgumentException"/> (an unknown experiment, profile,
    /// data set or a malformed shard given on the command line) into a usage error.</summary>
    public static T Resolve<T>(Func<T> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        try { return resolve(); }
        catch (ArgumentException e) { throw new UsageException(CliErrors.Message(e), e); }
    }
}
