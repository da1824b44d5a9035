namespace ResearchKit.Training.Tests;

public class TrainingAssemblyTests
{
    [Fact]
    public void Training_assembly_loads() => Assert.Equal("ResearchKit.Training", typeof(ResearchKit.Training.TrainingAssembly).Assembly.GetName().Name);
}
