using ResearchKit.Notebooks.Cells;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Notebooks.Tests;

/// <summary>The ablation notebooks' helpers (formerly notebooks/_setup.csx) that need no training run.</summary>
public class NotebookCellsTests
{
    [Fact]
    public void A_cut_profile_keeps_the_start_epochs_fraction_and_steps_the_rate_every_third()
    {
        var paper = Profiles.Get("paper");
        var full = paper.Base.Epochs;
        var cut = ExperimentCells.NotebookProfile("paper", epochs: 12);

        Assert.Equal(12, cut.Base.Epochs);
        Assert.Equal(12, cut.Base.EvalEveryEpochs);
        Assert.Equal(4, cut.Base.Schedule.StepSize);
        Assert.Equal((int)Math.Round(paper.Base.Loss.Cp.StartEpoch * 12 / (double)full), cut.Base.Loss.Cp.StartEpoch);
        Assert.Same(Profiles.Get("smoke"), ExperimentCells.NotebookProfile("smoke"));
        Assert.Same(Profiles.Get("smoke"), ExperimentCells.NotebookProfile("smoke", epochs: Profiles.Get("smoke").Base.Epochs));
    }

    [Fact]
    public void Another_data_set_pins_the_profile_to_it_and_bad_arguments_name_themselves()
    {
        var other = ExperimentCells.NotebookProfile("smoke", dataset: "glyphs");

        Assert.Equal(["glyphs"], other.Datasets);
        Assert.True(other.DatasetPinned);
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => ExperimentCells.NotebookProfile("smoke", epochs: -1)).ParamName);
        Assert.Contains("unknown profile 'fast'", Assert.Throws<ArgumentException>(() => ExperimentCells.NotebookProfile("fast")).Message);
    }

    [Theory]
    [InlineData("recall_at_1", "R@1")]
    [InlineData("recall_at_8", "R@8")]
    [InlineData("mean_average_precision_at_r", "MAP@R")]
    [InlineData("precision_at_1", "P@1")]
    [InlineData("nmi", "nmi")]
    public void Metric_names_shorten_for_table_columns(string metric, string expected) =>
        Assert.Equal(expected, PaperComparison.ShortMetric(metric));

    [Fact]
    public void Mean_and_sd_print_with_one_decimal_and_a_dash_without_a_mean()
    {
        Assert.Equal("88.7 ± 0.1", PaperComparison.MeanSd(88.66, 0.14));
        Assert.Equal("88.7", PaperComparison.MeanSd(88.66, null));
        Assert.Equal("–", PaperComparison.MeanSd(null, 1));
    }

    [Fact]
    public async Task Export_off_writes_nothing_and_says_why()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            var written = await FigureCells.ExportFigures(false, dir.File("figs"), ("x", Charts.KitCharts.RecallAtK([new Charts.RecallCurve("a", [1], [0.5])])));
            Assert.Empty(written);
        }
        finally
        {
            Console.SetOut(previous);
        }
        Assert.False(Directory.Exists(dir.File("figs")));
        Assert.Contains("Figures not exported", output.ToString());
    }
}
