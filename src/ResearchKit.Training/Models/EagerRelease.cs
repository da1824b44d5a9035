using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// Forward-pass pieces that free an intermediate tensor as soon as the next layer has it, as Python's reference
/// counting does in PyTorch. Under a TorchSharp dispose scope every handle otherwise lives to the end of the step, so a
/// conv's output stayed resident next to the BatchNorm output made from it and the ReLU output made from that, although
/// autograd keeps only what each backward needs (conv: its input; BatchNorm: its input; ReLU: its output). Disposing a
/// handle only drops a reference: what autograd saved stays alive until backward has used it.
/// </summary>
internal static class EagerRelease
{
    /// <summary>relu(bn(conv(x))): the conv output is released once BN has read it, and the ReLU runs in place on BN's
    /// output, which no backward needs (torchvision's and Cadene's <c>ReLU(inplace=True)</c> do the same).</summary>
    public static Tensor ConvBnRelu(Conv2d conv, BatchNorm bn, Tensor x) => ReluInPlace(ConvBn(conv, bn, x));

    /// <summary>bn(conv(x)), releasing the conv output.</summary>
    public static Tensor ConvBn(Conv2d conv, BatchNorm bn, Tensor x)
    {
        using var c = conv.forward(x);
        return bn.forward(c);
    }

    /// <summary>relu_ that leaves the caller one handle to the result, whether TorchSharp returns the same object or a
    /// new handle to the same storage.</summary>
    public static Tensor ReluInPlace(Tensor t)
    {
        var r = t.relu_();
        if (!ReferenceEquals(r, t)) t.Dispose();
        return r;
    }

    /// <summary>Applies <paramref name="f"/> and releases <paramref name="x"/> (an intermediate the caller owns).</summary>
    public static Tensor Consume(Tensor x, Func<Tensor, Tensor> f)
    {
        using (x) return f(x);
    }

    /// <summary>Runs the blocks of a stage one after another, releasing each intermediate output (never
    /// <paramref name="x"/>, which the caller owns).</summary>
    public static Tensor Chain(Sequential stage, Tensor x)
    {
        var current = x;
        foreach (var block in stage.children().Cast<nn.Module<Tensor, Tensor>>())
        {
            var next = block.call(current);
            if (!ReferenceEquals(current, x)) current.Dispose();
            current = next;
        }
        return current;
    }
}
