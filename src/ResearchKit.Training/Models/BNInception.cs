using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// BN-Inception as in Cadene's <c>pretrainedmodels/models/bninception.py</c> (used by Proxy-Anchor and CP), without
/// <c>global_pool</c>/<c>last_linear</c>. Submodules carry Cadene's flat names (<c>conv1_7x7_s2</c>,
/// <c>conv1_7x7_s2_bn</c>, <c>inception_3a_1x1</c>, …) so the converted state dict loads 1:1. Pooling uses
/// <c>ceil_mode</c>, average pooling counts padding, BatchNorm has eps 1e-5 and Cadene's momentum 0.9.
/// Input: BGR, range 0–255, minus mean (104, 117, 128), std 1. Forward returns (N, 1024, 7, 7) for 224×224 input.
/// </summary>
public sealed class BNInception : nn.Module<Tensor, Tensor>
{
    /// <summary>Channels of the output feature map.</summary>
    public const int FeatureChannels = 1024;

    private enum BlockPool { Average, MaxStride1, MaxStride2 }

    // name, in, 1x1 (0 = none), 3x3 reduce, 3x3, double reduce, double 1, double 2, pool, pool_proj (0 = none), stride-2 block
    private sealed record Block(string Name, int In, int C1, int R3, int C3, int RD, int D1, int D2, BlockPool Pool, int Proj, bool Downsample);

    private static readonly Block[] Blocks =
    [
        new("3a", 192, 64, 64, 64, 64, 96, 96, BlockPool.Average, 32, false),
        new("3b", 256, 64, 64, 96, 64, 96, 96, BlockPool.Average, 64, false),
        new("3c", 320, 0, 128, 160, 64, 96, 96, BlockPool.MaxStride2, 0, true),
        new("4a", 576, 224, 64, 96, 96, 128, 128, BlockPool.Average, 128, false),
        new("4b", 576, 192, 96, 128, 96, 128, 128, BlockPool.Average, 128, false),
        new("4c", 576, 160, 128, 160, 128, 160, 160, BlockPool.Average, 128, false),
        new("4d", 608, 96, 128, 192, 160, 192, 192, BlockPool.Average, 128, false),
        new("4e", 608, 0, 128, 192, 192, 256, 256, BlockPool.MaxStride2, 0, true),
        new("5a", 1056, 352, 192, 320, 160, 224, 224, BlockPool.Average, 128, false),
        new("5b", 1024, 352, 192, 320, 192, 224, 224, BlockPool.MaxStride1, 128, false),
    ];

    private readonly Dictionary<string, (Conv2d Conv, StableBatchNorm Bn)> units = new();
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> pools = new();

    /// <summary>Builds a randomly initialized network (PyTorch default init, as Cadene's file does).</summary>
    public BNInception() : base(nameof(BNInception))
    {
        Unit("conv1_7x7_s2", 3, 64, 7, 2, 3);
        Pool("pool1_3x3_s2", nn.MaxPool2d(3, stride: 2, ceil_mode: true));
        Unit("conv2_3x3_reduce", 64, 64, 1, 1, 0);
        Unit("conv2_3x3", 64, 192, 3, 1, 1);
        Pool("pool2_3x3_s2", nn.MaxPool2d(3, stride: 2, ceil_mode: true));
        foreach (var b in Blocks)
        {
            var p = $"inception_{b.Name}_";
            long stride = b.Downsample ? 2 : 1;
            if (b.C1 > 0) Unit(p + "1x1", b.In, b.C1, 1, 1, 0);
            Unit(p + "3x3_reduce", b.In, b.R3, 1, 1, 0);
            Unit(p + "3x3", b.R3, b.C3, 3, stride, 1);
            Unit(p + "double_3x3_reduce", b.In, b.RD, 1, 1, 0);
            Unit(p + "double_3x3_1", b.RD, b.D1, 3, 1, 1);
            Unit(p + "double_3x3_2", b.D1, b.D2, 3, stride, 1);
            Pool(p + "pool", b.Pool switch
            {
                BlockPool.Average => nn.AvgPool2d(3, stride: 1, padding: 1, ceil_mode: true, count_include_pad: true),
                BlockPool.MaxStride1 => nn.MaxPool2d(3, stride: 1, padding: 1, ceil_mode: true),
                _ => nn.MaxPool2d(3, stride: 2, ceil_mode: true),
            });
            if (b.Proj > 0) Unit(p + "pool_proj", b.In, b.Proj, 1, 1, 0);
        }
    }

    private void Unit(string name, long inCh, long outCh, long k, long stride, long pad)
    {
        var conv = nn.Conv2d(inCh, outCh, k, stride: stride, padding: pad);
        var bn = StableBatchNorm.For2d(outCh, eps: 1e-5, momentum: 0.9);
        register_module(name, conv);
        register_module(name + "_bn", bn);
        units[name] = (conv, bn);
    }

    private void Pool(string name, nn.Module<Tensor, Tensor> pool)
    {
        register_module(name, pool);
        pools[name] = pool;
    }

    // Cadene's ReLUs are in-place, so every branch output that is concatenated is relu(bn(conv(x))).
    private Tensor Cbr(string name, Tensor x)
    {
        var (conv, bn) = units[name];
        return EagerRelease.ConvBnRelu(conv, bn, x);
    }

    // Cbr on an intermediate this forward owns, released once used (EagerRelease).
    private Tensor CbrOwned(string name, Tensor x) => EagerRelease.Consume(x, h => Cbr(name, h));

    /// <summary>BGR images (N, 3, H, W), mean-subtracted 0–255 → feature map (N, 1024, H/32, W/32).</summary>
    public override Tensor forward(Tensor images)
    {
        // Every intermediate is released once the next layer has it (EagerRelease); the caller's images never are.
        var x = EagerRelease.Consume(Cbr("conv1_7x7_s2", images), pools["pool1_3x3_s2"].forward);
        x = CbrOwned("conv2_3x3", CbrOwned("conv2_3x3_reduce", x));
        x = EagerRelease.Consume(x, pools["pool2_3x3_s2"].forward);
        foreach (var b in Blocks)
        {
            var p = $"inception_{b.Name}_";
            var branches = new List<Tensor>(4);
            if (b.C1 > 0) branches.Add(Cbr(p + "1x1", x));
            branches.Add(CbrOwned(p + "3x3", Cbr(p + "3x3_reduce", x)));
            branches.Add(CbrOwned(p + "double_3x3_2", CbrOwned(p + "double_3x3_1", Cbr(p + "double_3x3_reduce", x))));
            var pooled = pools[p + "pool"].forward(x);
            branches.Add(b.Proj > 0 ? CbrOwned(p + "pool_proj", pooled) : pooled);
            x.Dispose();
            x = cat(branches, 1);
            foreach (var branch in branches) branch.Dispose();
        }
        return x;
    }
}
