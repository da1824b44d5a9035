using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Models;

/// <summary>
/// Guards against libtorch 2.10's CPU conv backward bug (docs/libtorch-small-conv-backward.md): with more than one thread,
/// the input gradient of a 3×3 convolution with at most 8 channels is sometimes garbage (NaN). These are the conv shapes
/// of the kit's CPU backbones (glyph-cnn-small at 32 px, the glyph CNN's and ResNet's stems); every repeat must give the
/// same input gradient as a single-threaded reference, to the bit.
/// </summary>
[Collection(nameof(ThreadCountCollection))]
public class ConvBackwardTests
{
    [Theory]
    [InlineData(1, 16, 32, 3)]
    [InlineData(16, 32, 16, 3)]
    [InlineData(32, 64, 8, 3)]
    [InlineData(64, 128, 4, 3)]
    [InlineData(3, 32, 32, 3)]
    [InlineData(3, 64, 56, 7)]
    public void Input_gradient_of_the_kits_conv_shapes_is_the_same_in_every_call_and_thread_count(int cin, int cout, int size, int kernel)
    {
        int before = get_num_threads();
        try
        {
            set_num_threads(1);
            var reference = InputGradient(cin, cout, size, kernel);
            set_num_threads(2);
            for (int r = 0; r < 20; r++)
            {
                var g = InputGradient(cin, cout, size, kernel);
                Assert.True(g.isfinite().all().item<bool>(), $"repeat {r}: non-finite input gradient");
                Assert.True(g.allclose(reference, rtol: 1e-5, atol: 1e-6), $"repeat {r}: max |Δ| {(g - reference).abs().max().item<float>()}");
            }
        }
        finally
        {
            set_num_threads(before);
        }
    }

    private static Tensor InputGradient(int cin, int cout, int size, int kernel)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var conv = nn.Conv2d(cin, cout, kernel, padding: kernel / 2, bias: false);
        var x = randn(8, cin, size, size).requires_grad_(true);
        conv.forward(x).square().sum().backward();
        return x.grad!.detach().clone().MoveToOuterDisposeScope();
    }
}

/// <summary>Tests that change libtorch's thread count run alone.</summary>
[CollectionDefinition(nameof(ThreadCountCollection), DisableParallelization = true)]
public sealed class ThreadCountCollection;
