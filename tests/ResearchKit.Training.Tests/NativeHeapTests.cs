using ResearchKit.Training;

namespace ResearchKit.Training.Tests;

public class NativeHeapTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Sets_glibcs_thresholds_on_linux()
    {
        // This machine is Debian (glibc): mallopt must be found and accept both values.
        Assert.True(OperatingSystem.IsLinux());
        Assert.Equal(NativeHeapTuning.Applied, NativeHeap.Decide(Env()));
    }

    [Theory]
    [InlineData("RESEARCHKIT_NATIVE_HEAP", "default")]
    [InlineData("RESEARCHKIT_NATIVE_HEAP", "DEFAULT")]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "131072")]
    [InlineData("MALLOC_TRIM_THRESHOLD_", "0")]
    public void Leaves_an_explicit_choice_of_the_user_alone(string name, string value) =>
        Assert.Equal(NativeHeapTuning.LeftToEnvironment, NativeHeap.Decide(Env((name, value))));

    [Fact]
    public void Another_value_of_the_opt_out_variable_still_tunes() =>
        Assert.Equal(NativeHeapTuning.Applied, NativeHeap.Decide(Env(("RESEARCHKIT_NATIVE_HEAP", "tuned"))));

    [Fact]
    public void Configure_decides_once_per_process()
    {
        var first = NativeHeap.Configure();
        Assert.Equal(first, NativeHeap.Configure(Env(("RESEARCHKIT_NATIVE_HEAP", "default"))));
    }
}
