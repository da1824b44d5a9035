using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// The runner's table of parameter values, in the shape dotnet-repl's input kernel has (a <c>GetInputValueAsync</c>
/// lookup, names matched without regard to case), so that <see cref="Parameters.NotebookParameters"/> reads both hosts the
/// same way. It also answers <c>RequestInput</c> (<c>@input:name</c>, <c>Kernel.GetInputAsync</c>) from the table and
/// fails, instead of prompting, for a name it lacks: a headless run has nobody to ask.
/// </summary>
public sealed class HostInputKernel : Kernel, IKernelCommandHandler<RequestInput>
{
    /// <summary>The kernel's name in the composite kernel.</summary>
    public const string KernelName = "researchkit-input";

    /// <summary>A kernel answering from <paramref name="values"/>.</summary>
    public HostInputKernel(IReadOnlyDictionary<string, string> values) : base(KernelName)
    {
        ArgumentNullException.ThrowIfNull(values);
        var table = new Dictionary<string, string>(values, StringComparer.OrdinalIgnoreCase);
        GetInputValueAsync = name => Task.FromResult(table.TryGetValue(name, out var v) ? v : null);
    }

    /// <summary>The value of a parameter by name, or null (what the kit's notebook parameters read).</summary>
    public Func<string, Task<string?>> GetInputValueAsync { get; }

    /// <inheritdoc />
    public async Task HandleAsync(RequestInput command, KernelInvocationContext context)
    {
        var name = string.IsNullOrEmpty(command.ParameterName) ? command.Prompt : command.ParameterName;
        if (await GetInputValueAsync(name).ConfigureAwait(false) is { } value)
            context.Publish(new InputProduced(value, command));
        else
            context.Fail(command, message: $"The notebook asks for input '{name}', which this headless run was not given (pass --param {name}=value).");
    }
}
