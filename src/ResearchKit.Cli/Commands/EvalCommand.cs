using System.CommandLine;
using ResearchKit.Metrics;
using ResearchKit.Training.Engine;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit eval --checkpoint file</c>: retrieval metrics of a checkpoint on its data set's held-out classes.</summary>
public static class EvalCommand
{
    /// <summary>The command with its arguments, options and action, for the root command to add.</summary>
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint (runs/.../checkpoints/epoch-NNNN.ckpt).", Required = true };
        var nmi = new Option<bool>("--nmi") { Description = "Also compute NMI." };
        var dataRoot = new Option<string?>("--data-root") { Description = "Data root (default $RESEARCHKIT_DATA or ~/.researchkit/data)." };
        var cmd = new Command("eval", "Evaluate a checkpoint (Recall@k, MAP@R, P@1, R-Precision, optional NMI).") { checkpoint, nmi, dataRoot };
        cmd.SetAction(parse =>
        {
            var result = CheckpointEvaluation.Evaluate(parse.GetValue(checkpoint)!, parse.GetValue(nmi), dataRoot: parse.GetValue(dataRoot));
            Console.WriteLine($"{result.Checkpoint} on {result.Dataset} test ({result.TestImages} images, {result.TestClasses} classes):");
            foreach (var (m, v) in RetrievalMetrics.Values(result.Result))
                Console.WriteLine(FormattableString.Invariant($"  {m.Label} = {m.Shown(v):F2}{(m.IsPercent ? " %" : "")}  ({m.Key})"));
            return 0;
        });
        return cmd;
    }
}
