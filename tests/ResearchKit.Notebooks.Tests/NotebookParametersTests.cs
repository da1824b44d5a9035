using ResearchKit.Notebooks.Parameters;

namespace ResearchKit.Notebooks.Tests;

/// <summary>Notebook parameters: declarations found in a cell, host text converted, defaults outside a kernel.</summary>
public class NotebookParametersTests
{
    private enum Mode { Fast, Slow }

    [Fact]
    public void Declared_names_are_the_first_arguments_of_Parameter_calls()
    {
        var cell = "string profile = Parameter(\"profile\", \"default\");   // smoke|default\n" +
                   "int seeds = Parameter( \"seeds\" , 0);\nint[] ks = { 1, 2 };\n// Parameter(\"commented\", 1) counts too: a declaration on a comment line is still text\n" +
                   "var notOne = MyParameter(\"other\", 1);";

        var names = NotebookParameters.DeclaredNames(cell);

        Assert.Equal(new HashSet<string> { "profile", "seeds", "commented" }, names);
    }

    [Fact]
    public void Host_text_converts_to_the_defaults_type_with_the_invariant_culture()
    {
        Assert.Equal(3, NotebookParameters.Convert<int>("epochs", " 3 "));
        Assert.Equal(0.25, NotebookParameters.Convert<double>("rate", "0.25"));
        Assert.Equal(7L, NotebookParameters.Convert<long>("seed", "7"));
        Assert.True(NotebookParameters.Convert<bool>("exportFigures", "True"));
        Assert.False(NotebookParameters.Convert<bool>("exportFigures", "false"));
        Assert.Equal(" keep spaces ", NotebookParameters.Convert<string>("dataset", " keep spaces "));
        Assert.Equal(Mode.Slow, NotebookParameters.Convert<Mode>("mode", "slow"));
    }

    [Theory]
    [InlineData("epochs", "three", "a Int32")]
    [InlineData("epochs", "3.5", "a Int32")]
    [InlineData("exportFigures", "yes", "true or false")]
    public void Text_that_does_not_parse_names_the_parameter_and_the_expected_form(string name, string text, string expected)
    {
        var e = name == "exportFigures"
            ? Assert.Throws<ArgumentException>(() => NotebookParameters.Convert<bool>(name, text))
            : Assert.Throws<ArgumentException>(() => NotebookParameters.Convert<int>(name, text));

        Assert.Contains($"notebook parameter '{name}' expects {expected}", e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void Outside_a_kernel_the_default_applies()
    {
        Assert.Equal("default", NotebookParameters.Parameter("profile", "default"));
        Assert.Equal(30, NotebookParameters.Parameter("epochs", 30));
        Assert.Throws<ArgumentException>(() => NotebookParameters.Parameter(" ", 1));
    }
}
