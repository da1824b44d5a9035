using ResearchKit.Notebooks.Cells;

namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// <see cref="ExperimentCells.HostStop"/>: a host's stop request ends <see cref="ExperimentCells.RunOrLoad"/>'s training at
/// the next step with an error that says how to continue, and running the cell again finishes the runs.
/// In the notebook-runs collection: the stop is process-wide state.
/// </summary>
[Collection(NotebookRuns.Name)]
public class RunOrLoadStopTests
{
    [Fact]
    public void A_host_stop_ends_the_training_and_the_next_call_finishes_it()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        ExperimentCells.HostStop = stopped.Token;
        try
        {
            var e = Assert.Throws<OperationCanceledException>(() =>
                ExperimentCells.RunOrLoad("table1", "smoke", 1, dir.Path, log: lines.Add, useLanes: false));
            Assert.Contains("table1 at 'smoke' stopped during epoch 1: 3 run(s) not finished", e.Message);
            Assert.Contains("run the cell again to continue", e.Message);
        }
        finally
        {
            ExperimentCells.HostStop = default;
        }
        var table = ExperimentCells.RunOrLoad("table1", "smoke", 1, dir.Path, log: lines.Add, useLanes: false);
        Assert.Empty(table.Missing);
        Assert.Equal(3, table.Frame.Rows.Count);
    }
}
