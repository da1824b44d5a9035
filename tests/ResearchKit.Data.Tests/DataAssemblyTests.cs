namespace ResearchKit.Data.Tests;

public class DataAssemblyTests
{
    [Fact]
    public void Data_assembly_loads() => Assert.Equal("ResearchKit.Data", typeof(ResearchKit.Data.DataAssembly).Assembly.GetName().Name);
}
