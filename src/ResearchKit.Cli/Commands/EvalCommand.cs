using System.CommandLine;
using ResearchKit.Training.Engine;
using ResearchKit.Training.Models;
using ResearchKit.Training.Runs;
using TorchSharp;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit eval --checkpoint file</c>: retrieval metrics of a checkpoint on its data set's held-out classes.</summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint (runs/.../checkpoints/epoch-NNNN.ckpt).", Required = true };
        var nmi = new Option<bool>("--nmi") { Description = "Also compute NMI." };
        var cmd = new Command("eval", "Evaluate a checkpoint (Recall@k, MAP@R, P@1, R-Precision, optional NMI).") { checkpoint, nmi };
        cmd.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(checkpoint)!);
            // The run folder is the checkpoint folder's parent; its config rebuilds the network.
            using var run = RunDirectory.Open(Path.GetDirectoryName(Path.GetDirectoryName(path))!);
            var cfg = run.LoadConfig();
            var net = BackboneRegistry.Default.CreateEmbeddingNetwork(cfg.Backbone,
                new EmbeddingHeadOptions { EmbeddingSize = cfg.EmbeddingSize, Pooling = cfg.Pooling });
            var device = torch.device(cfg.Device);
            net.to(device);
            CheckpointStore.Load(path, new CheckpointTargets { Modules = new Dictionary<string, torch.nn.Module> { ["model"] = net }, RestoreTorchRng = false });
            var data = TrainingData.For(cfg);
            var metrics = Trainer.Evaluate(net, data.Dataset.Test, data.EvalPipeline, Math.Max(cfg.BatchSize, 256), device, cfg.Workers, parse.GetValue(nmi));
            Console.WriteLine($"{path} on {cfg.Dataset} test ({data.Dataset.Test.Count} images, {data.Dataset.Test.ClassCount} classes):");
            foreach (var (k, v) in metrics.OrderBy(kv => kv.Key)) Console.WriteLine($"  {k} = {v:F4}");
            return 0;
        });
        return cmd;
    }
}
