using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Tests;

public class NotebookStripperTests
{
    [Fact]
    public void Strip_removes_outputs_and_counts_and_keeps_ids_sources_and_metadata()
    {
        using var dir = new TempDir();
        var path = dir.File("nb.ipynb");
        File.WriteAllText(path, NotebookJsonTests.PolyglotLayout);
        Assert.False(NotebookStripper.IsClean(path));

        Assert.True(NotebookStripper.StripFile(path));

        var doc = NotebookDocument.Load(path);
        var code = doc.Cells[1];
        Assert.Empty(code.Json["outputs"]!.AsArray());
        Assert.Null(code.Json["execution_count"]);
        Assert.True(code.Json.ContainsKey("execution_count")); // written as null, as Polyglot does
        Assert.Equal("a1b2c3d4", code.Id);
        Assert.Equal("Console.WriteLine(1.5e-3);", code.Source);
        Assert.Equal("# Title é ✓\n\ntext", doc.Cells[0].Source);
        Assert.True(NotebookStripper.IsClean(path));
    }

    [Fact]
    public void Strip_is_byte_stable()
    {
        using var dir = new TempDir();
        var path = dir.File("nb.ipynb");
        File.WriteAllText(path, NotebookJsonTests.PolyglotLayout);
        NotebookStripper.StripFile(path);
        var once = File.ReadAllBytes(path);
        Assert.False(NotebookStripper.StripFile(path));
        Assert.Equal(once, File.ReadAllBytes(path));
        Assert.Equal((byte)'\n', once[^1]);
        Assert.StartsWith("{\n \"cells\": [\n  {\n   \"cell_type\"", File.ReadAllText(path));
    }

    [Fact]
    public void Check_mode_flags_a_notebook_in_another_layout()
    {
        using var dir = new TempDir();
        var path = dir.File("nb.ipynb");
        // Same content, 2-space indentation: not the Polyglot layout, so not clean.
        var twoSpaces = NotebookDocument.Create([NewCell.Code("var x = 1;")]).ToJson().Replace("\n ", "\n  ");
        File.WriteAllText(path, twoSpaces);
        Assert.False(NotebookStripper.IsClean(path));
        NotebookStripper.StripFile(path);
        Assert.True(NotebookStripper.IsClean(path));
    }

    [Fact]
    public void Committed_notebooks_are_clean()
    {
        var notebooks = NotebookStripper.Expand(RepoPaths.Notebooks);
        Assert.Contains(notebooks, p => p.EndsWith("00-smoke.ipynb", StringComparison.Ordinal));
        var dirty = notebooks.Where(p => !NotebookStripper.IsClean(p)).ToList();
        Assert.True(dirty.Count == 0, "run `researchkit notebook strip notebooks`: " + string.Join(", ", dirty));
    }

    [Fact]
    public void Expand_rejects_what_is_neither_notebook_nor_folder()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.txt"), "");
        Assert.Throws<ArgumentException>(() => NotebookStripper.Expand(dir.File("a.txt")));
        Assert.Throws<ArgumentException>(() => NotebookStripper.Expand(dir.File("missing")));
    }
}
