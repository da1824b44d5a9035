using ResearchKit.Training.Config;
using ResearchKit.Training.Confidence;
using static TorchSharp.torch;

namespace ResearchKit.Training.Tests.Confidence;

public class ConfidenceModuleTests
{
    private const int Classes = 5;

    // Separable Gaussian classes (means 4 apart per dimension on average, unit noise) with 20 % symmetric label noise.
    private static (Tensor Features, Tensor Noisy, Tensor Truth) Synthetic(int n = 600, int dim = 16, double rate = 0.2, int seed = 3)
    {
        var g = new Generator((ulong)seed);
        var means = randn(new long[] { Classes, dim }, generator: g) * 4;
        var truth = arange(n, dtype: ScalarType.Int64) % Classes;
        var x = means.index_select(0, truth) + randn(new long[] { n, dim }, generator: g);
        var flip = rand(new long[] { n }, generator: g).lt(rate);
        // Uniform over the other classes: add 1..C-1 modulo C.
        var shift = randint(1, Classes, new long[] { n }, generator: g);
        var noisy = where(flip, (truth + shift) % Classes, truth);
        return (x, noisy, truth);
    }

    private static readonly ConfidenceModuleConfig Config = new();

    [Fact]
    public void Module_trusts_the_true_class_of_flipped_samples_and_the_label_of_clean_ones()
    {
        using var scope = NewDisposeScope();
        var (x, noisy, truth) = Synthetic();
        // 600 steps: the defaults' 10 epochs are sized for glyphs-tiny (840 samples, 40 classes), not 600 samples of 5.
        var trained = ConfidenceTrainer.Train(x, noisy, Classes, Config with { Epochs = 60 }, seed: 1);
        using var table = ConfidenceTable.Compute(trained.Module, x);
        var q = ConfidenceQuality.Measure(table.Values, noisy, truth);

        Assert.InRange(q.Flipped, 80, 160);   // ≈ 20 % of 600
        Assert.True(q.FlippedTrueAboveNoisy > 0.8, $"true class above the noisy label on only {q.FlippedTrueAboveNoisy:P1} of flipped samples");
        Assert.True(q.FlippedTrueIsTop > 0.8, $"true class on top on only {q.FlippedTrueIsTop:P1} of flipped samples");
        Assert.True(q.CleanLabelIsTop > 0.95, $"clean label on top on only {q.CleanLabelIsTop:P1}");
        // With 20 % of the targets flipped, a calibrated module tops out near 0.8 on a clean label; it must clear θ = 0.5 well.
        Assert.True(q.CleanLabelConfidence > 0.65, $"mean confidence of clean samples in their label {q.CleanLabelConfidence:F3}");
        var onLabel = table.Values.gather(1, noisy.unsqueeze(1)).squeeze(1).masked_select(noisy.eq(truth));
        float positives = onLabel.ge(0.5).to(ScalarType.Float32).mean().item<float>();
        Assert.True(positives > 0.9, $"only {positives:P1} of clean samples are positives of their label");
        Assert.True(q.FlippedNoisyConfidence < 0.5, $"mean confidence of flipped samples in their noisy label {q.FlippedNoisyConfidence:F3}");
        Assert.True(trained.EpochLosses[^1] < trained.EpochLosses[0], "BCE did not fall");
    }

    [Fact]
    public void Confidences_are_probabilities_of_shape_N_by_C_and_deterministic_for_a_seed()
    {
        using var scope = NewDisposeScope();
        var (x, noisy, _) = Synthetic(n: 130);
        ConfidenceTable Run(int seed)
        {
            var m = ConfidenceTrainer.Train(x, noisy, Classes, Config with { Epochs = 3, HiddenSize = 8 }, seed).Module;
            return ConfidenceTable.Compute(m, x, batchSize: 50);   // 3 batches, the last one short
        }
        using var a = Run(7);
        using var b = Run(7);
        using var c = Run(8);
        Assert.Equal(new long[] { 130, Classes }, a.Values.shape);
        Assert.True(a.Values.ge(0).all().item<bool>() && a.Values.le(1).all().item<bool>());
        Assert.True(a.Values.equal(b.Values).all().item<bool>(), "same seed gave different confidences");
        Assert.False(a.Values.equal(c.Values).all().item<bool>(), "different seeds gave identical confidences");
    }

    [Fact]
    public void Training_the_module_leaves_torchs_global_random_stream_alone()
    {
        using var scope = NewDisposeScope();
        var (x, noisy, _) = Synthetic(n: 50);
        manual_seed(11);
        var expected = rand(4);
        manual_seed(11);
        ConfidenceTrainer.Train(x, noisy, Classes, Config with { Epochs = 1 }, seed: 1).Module.Dispose();
        Assert.True(rand(4).equal(expected).all().item<bool>());
    }

    [Fact]
    public void Table_rows_follow_the_sample_indices()
    {
        using var scope = NewDisposeScope();
        using var table = new ConfidenceTable(tensor(new float[,] { { 0.1f, 0.9f }, { 0.5f, 0.5f }, { 1f, 0f } }));
        var rows = table.Rows([2, 0, 2]);
        Assert.Equal(new float[] { 1f, 0f, 0.1f, 0.9f, 1f, 0f }, rows.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => table.Rows([0, 3]));
        Assert.Throws<ArgumentException>(() => table.Rows([-1]));
    }

    [Fact]
    public void Quality_counts_flipped_and_clean_samples_by_hand()
    {
        using var scope = NewDisposeScope();
        // Samples 0 and 1 flipped (truth 0, noisy 1): sample 0 puts the truth on top, sample 1 the noisy label. Sample 2 clean.
        var conf = tensor(new float[,] { { 0.8f, 0.3f, 0.1f }, { 0.2f, 0.6f, 0.1f }, { 0.1f, 0.1f, 0.9f } });
        var q = ConfidenceQuality.Measure(conf, tensor(new long[] { 1, 1, 2 }), tensor(new long[] { 0, 0, 2 }));
        Assert.Equal((2L, 1L), (q.Flipped, q.Clean));
        Assert.Equal(0.5, q.FlippedTrueIsTop);
        Assert.Equal(0.5, q.FlippedTrueAboveNoisy);
        Assert.Equal(0.45, q.FlippedNoisyConfidence, 6);
        Assert.Equal(1.0, q.CleanLabelIsTop);
        Assert.Equal(0.9, q.CleanLabelConfidence, 6);
    }

    [Fact]
    public void Bad_input_is_rejected_naming_the_argument()
    {
        using var scope = NewDisposeScope();
        var (x, noisy, _) = Synthetic(n: 20);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => ConfidenceTrainer.Train(x, noisy + Classes, Classes, Config, 1)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => ConfidenceTrainer.Train(x, noisy - Classes, Classes, Config, 1)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => ConfidenceTrainer.Train(x, noisy.narrow(0, 0, 10), Classes, Config, 1)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => ConfidenceTrainer.Train(x, noisy.to(ScalarType.Float32), Classes, Config, 1)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => ConfidenceTrainer.Train(x.unsqueeze(0), noisy, Classes, Config, 1)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => ConfidenceTrainer.Train(x.to(ScalarType.Int64), noisy, Classes, Config, 1)).ParamName);
        Assert.Throws<ArgumentException>(() => ConfidenceTrainer.Train(x, noisy, Classes, Config with { Epochs = 0 }, 1));

        using var module = new ConfidenceModule(16, Classes);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => module.forward(x.narrow(1, 0, 8))).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => ConfidenceTable.Compute(module, x.narrow(1, 0, 8))).ParamName);
        Assert.Throws<ArgumentException>(() => new ConfidenceModule(0, Classes));
        Assert.Throws<ArgumentException>(() => new ConfidenceModule(16, Classes, hiddenSize: -1));
        Assert.Equal("confidences", Assert.Throws<ArgumentException>(() => new ConfidenceTable(tensor(new float[,] { { 1.5f } }))).ParamName);
        Assert.Equal("confidences", Assert.Throws<ArgumentException>(() => new ConfidenceTable(zeros(3))).ParamName);
    }
}
