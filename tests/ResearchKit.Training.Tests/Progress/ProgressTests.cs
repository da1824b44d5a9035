using ResearchKit.Training.Progress;
using Spectre.Console;

namespace ResearchKit.Training.Tests.Progress;

public class ProgressTests
{
    [Fact]
    public void Throughput_uses_a_sliding_window_and_eta_scales_with_remaining_steps()
    {
        var m = new ThroughputMeter(windowSteps: 2);
        Assert.Null(m.Eta(10));
        Assert.Equal(0, m.ImagesPerSecond);
        m.Record(100, 1.0);
        m.Record(100, 3.0);
        Assert.Equal(50, m.ImagesPerSecond, 9);
        Assert.Equal(TimeSpan.FromSeconds(20), m.Eta(10));
        m.Record(300, 1.0); // the first step leaves the window
        Assert.Equal(100, m.ImagesPerSecond, 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Record(-1, 1));
    }

    [Fact]
    public void Log_progress_prints_every_n_steps_and_epoch_summaries()
    {
        var w = new StringWriter();
        using (var p = new LogProgress(w, everySteps: 2))
        {
            p.EpochStarted(0, 3, 3);
            for (int s = 1; s <= 3; s++) p.StepCompleted(new ProgressUpdate(0, 3, s, 3, 1.0 / s, 1e-4, 120.5, TimeSpan.FromSeconds(3725)));
            p.EpochCompleted(0, new Dictionary<string, double> { ["loss"] = 0.5, ["recall@1"] = 0.625 });
        }
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("epoch 1/3 step 1/3", lines[0]);   // the first step always shows: progress from the start
        Assert.Equal("epoch 1/3 step 2/3 loss 0.5000 lr 1e-4 120.5 img/s ETA 1:02:05", lines[1]);
        Assert.StartsWith("epoch 1/3 step 3/3", lines[2]);
        Assert.Equal("epoch 1 done: loss=0.5 recall@1=0.625", lines[3]);
    }

    [Fact]
    public void Spectre_progress_renders_loss_lr_throughput_and_eta()
    {
        var w = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(w),
        });
        using (var p = new SpectreProgress(console))
        {
            p.EpochStarted(4, 60, 39);
            p.StepCompleted(new ProgressUpdate(4, 60, 20, 39, 2.25, 5e-5, 88.0, TimeSpan.FromMinutes(90)));
            var rendered = Render(p);
            Assert.Contains("epoch 5/60", rendered);
            Assert.Contains("20/39", rendered);
            Assert.Contains("loss 2.2500", rendered);
            Assert.Contains("lr 5e-5", rendered);
            Assert.Contains("88.0 img/s", rendered);
            Assert.Contains("ETA 1:30:00", rendered);
            p.Message("resumed");
            p.EpochCompleted(4, new Dictionary<string, double> { ["loss"] = 2.0 });
        }
        var output = w.ToString();
        Assert.Contains("epoch 5 done: loss=2", output);
        Assert.Contains("resumed", output);
    }

    private static string Render(SpectreProgress p)
    {
        var w = new StringWriter();
        var c = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(w) });
        c.Profile.Width = 200;
        c.Write(p.Render());
        return w.ToString();
    }
}
