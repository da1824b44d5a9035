using ResearchKit.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests;

/// <summary>A small proxy loss (softmax over scaled cosines) with a queue buffer, for optimizer/checkpoint tests.</summary>
public sealed class TinyProxyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Parameter proxies;
    private readonly Tensor queue;

    public TinyProxyLoss(int classes, int dim) : base(nameof(TinyProxyLoss))
    {
        proxies = new Parameter(randn(classes, dim));
        queue = zeros(4, dim);
        RegisterComponents();
    }

    public Tensor Queue => queue;

    public override Tensor forward(Tensor embeddings, Tensor labels)
    {
        var logits = embeddings.matmul(nn.functional.normalize(proxies, dim: 1).t()) * 16.0;
        using (no_grad()) queue.copy_(embeddings[..4].detach());
        return nn.functional.cross_entropy(logits, labels);
    }
}

/// <summary>Tiny network and data for fast optimisation tests.</summary>
public static class Tiny
{
    // Widths of 16: libtorch 2.10's CPU conv backward returns garbage input gradients (NaN in some calls) for <= 8 channels
    // with more than one thread, which made the exact-resume tests flaky (docs/libtorch-small-conv-backward.md).
    public static EmbeddingNetwork Network() =>
        new(new GlyphCnn(new GlyphCnnOptions { InChannels = 1, Widths = [16, 16] }), 16, new EmbeddingHeadOptions { EmbeddingSize = 6 });

    public static (Tensor Images, Tensor Labels) Batch(int seed)
    {
        var g = new Generator((ulong)seed);
        return (randn(new long[] { 8, 1, 8, 8 }, generator: g), randint(0, 3, new long[] { 8 }, generator: g));
    }

    public static bool SameParameters(nn.Module a, nn.Module b) =>
        a.parameters().Zip(b.parameters()).All(p => p.First.shape.SequenceEqual(p.Second.shape) && p.First.eq(p.Second).all().item<bool>());

    public static Dictionary<string, Tensor> Snapshot(nn.Module m) =>
        m.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.detach().clone());
}
