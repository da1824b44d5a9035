using ResearchKit.Notebooks.Cells;
using ResearchKit.Training.Experiments;
using ResearchKit.Metrics;
using ResearchKit.Training.Runs;

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

    [Fact]
    public void The_notebooks_metrics_are_the_retrieval_definitions()
    {
        Assert.Equal(["R@1", "R@2", "R@4", "R@8", "MAP@R", "P@1"],
            new[] { PaperComparison.R1, PaperComparison.R2, PaperComparison.R4, PaperComparison.R8, PaperComparison.MapR, PaperComparison.P1 }.Select(m => m.Label));
        Assert.Same(RetrievalMetrics.RecallAt(8), PaperComparison.R8);
        Assert.Equal("recall_at_1_mean", ExperimentTable.MeanColumn(PaperComparison.R1));
    }

    [Fact]
    public void Mean_and_sd_print_with_the_metrics_decimals_and_a_dash_without_a_mean()
    {
        Assert.Equal("88.7 ± 0.1", PaperComparison.R1.FormatMeanSd(88.66, 0.14));
        Assert.Equal("88.7", PaperComparison.R1.FormatMeanSd(88.66, null));
        Assert.Equal("–", PaperComparison.R1.FormatMeanSd(null, 1));
        Assert.Equal("0.1235 ± 0.0100", RunMetrics.Deviation.FormatMeanSd(0.12345, 0.01));
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

    [Fact]
    public void The_study_cell_names_unknown_readings_and_claims_before_training_anything()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => StudyCells.RunStudy("smoke", 2, dir.Path, readings: "primary,sg=bogus"));
        Assert.Contains("sg=bogus", e.Message);
        Assert.Contains("pa_rescaled", e.Message);   // the known ones are listed
        Assert.Throws<ArgumentException>(() => StudyCells.RunStudy("smoke", 2, dir.Path, claims: "vi"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }
}
