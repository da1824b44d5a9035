using System.Reflection;
using System.Text.Json;

namespace ResearchKit.Cli.Infrastructure;

/// <summary>
/// How the command reports failures: one line on standard error (<c>error: …</c>) naming the argument, file or field and
/// what is expected; exit code 2 for a bad command line, 1 for everything that fails at run time (bad config, missing or
/// corrupt file, locked folder, bug). The stack trace only with <c>--verbose</c>.
/// </summary>
public static class CliErrors
{
    /// <summary>Exit code of a bad command line.</summary>
    public const int Usage = 2;
    /// <summary>Exit code of a failure at run time.</summary>
    public const int Runtime = 1;

    // Failures a user can cause and fix (input, files, state): their message is the whole story.
    private static readonly Type[] Expected =
    [
        typeof(ArgumentException), typeof(IOException), typeof(JsonException), typeof(UnauthorizedAccessException),
        typeof(InvalidOperationException), typeof(NotSupportedException), typeof(FormatException),
    ];

    /// <summary>Writes the one-line report of <paramref name="error"/> (and its trace when <paramref name="verbose"/>); returns the exit code.</summary>
    public static int Report(Exception error, bool verbose, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(stderr);
        var e = Unwrap(error);
        bool expected = e is UsageException || Expected.Any(t => t.IsInstanceOfType(e));
        stderr.WriteLine($"error: {(expected ? "" : e.GetType().Name + ": ")}{Message(e)}");
        if (verbose) stderr.WriteLine(e.ToString());
        else if (!expected) stderr.WriteLine("(an internal error: run again with --verbose for the stack trace, and please report it)");
        return e is UsageException ? Usage : Runtime;
    }

    /// <summary>The message on one line, without .NET's " (Parameter 'x')" suffix.</summary>
    public static string Message(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var text = e is ArgumentException a && a.ParamName is { } p ? a.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
        return string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            if (e is TargetInvocationException { InnerException: { } t }) e = t;
            else if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerExceptions[0];
            else return e;
        }
    }
}
