namespace ResearchKit.Notebooks.Running;

/// <summary>
/// The globals object of every notebook submission. It mirrors what dotnet-interactive's
/// <c>using static Microsoft.DotNet.Interactive.Kernel</c> gives C# cells, so the same cell text runs in both hosts.
/// </summary>
public class NotebookGlobals
{
    internal CellOutputs? CurrentOutputs { get; set; }

    /// <summary>
    /// Displays <paramref name="value"/> below the current cell, formatted for each MIME type given, or for the type's
    /// preferred MIME types (<c>Formatter.GetPreferredMimeTypesFor</c>) when none are given.
    /// </summary>
    /// <returns>A handle whose <see cref="DisplayedValue.Update"/> replaces this output in place (e.g. for progress).</returns>
#pragma warning disable IDE1006 // lower-case on purpose: it is dotnet-interactive's name
    public DisplayedValue display(object? value, params string[] mimeTypes)
#pragma warning restore IDE1006
    {
        var outputs = CurrentOutputs ?? throw new InvalidOperationException("display() was called outside a running notebook cell.");
        var slot = outputs.AddDisplay(DisplayFormatting.Format(value, mimeTypes));
        return new DisplayedValue(outputs, slot, mimeTypes);
    }

    /// <summary>Marks <paramref name="html"/> as HTML to display as is (strings are otherwise shown as text), as dotnet-interactive's <c>HTML</c>.</summary>
#pragma warning disable IDE1006
    public Microsoft.AspNetCore.Html.IHtmlContent HTML(string html) => new Microsoft.AspNetCore.Html.HtmlString(html);
#pragma warning restore IDE1006
}

/// <summary>A displayed output that can be replaced later, like dotnet-interactive's <c>DisplayedValue</c>.</summary>
public sealed class DisplayedValue
{
    private readonly CellOutputs _outputs;
    private readonly int _slot;
    private readonly string[] _mimeTypes;

    internal DisplayedValue(CellOutputs outputs, int slot, string[] mimeTypes)
    {
        _outputs = outputs;
        _slot = slot;
        _mimeTypes = mimeTypes;
        DisplayId = Guid.NewGuid().ToString("N");
    }

    /// <summary>An identifier of this output.</summary>
    public string DisplayId { get; }

    /// <summary>Replaces the displayed output with <paramref name="value"/>, formatted with the same MIME types.</summary>
    public void Update(object? value) => _outputs.UpdateDisplay(_slot, DisplayFormatting.Format(value, _mimeTypes));
}
