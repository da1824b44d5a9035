namespace ResearchKit.Notebooks.Tests;

public class NotebooksAssemblyTests
{
    [Fact]
    public void Notebooks_assembly_loads() => Assert.Equal("ResearchKit.Notebooks", typeof(ResearchKit.Notebooks.NotebooksAssembly).Assembly.GetName().Name);
}
