using ResearchKit.Training.Config;
using ResearchKit.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Training.Confidence;

/// <summary>A trained confidence module and its training loss.</summary>
/// <param name="Module">The module, in eval mode, on the features' device.</param>
/// <param name="EpochLosses">Mean binary cross-entropy of each epoch.</param>
public sealed record ConfidenceTrainingResult(ConfidenceModule Module, IReadOnlyList<double> EpochLosses);

/// <summary>
/// Trains a <see cref="ConfidenceModule"/> on frozen features with binary cross-entropy against the one-hot noisy labels
/// (multi-label style, losses.md §7): AdamW, shuffled mini-batches, a dispose scope per step.
/// Seeded on its own: torch's global generator is saved, reseeded for the module's initialisation and restored, so
/// training the module does not shift the random stream of the run around it.
/// </summary>
public static class ConfidenceTrainer
{
    /// <summary>Trains the module.</summary>
    /// <param name="features">Frozen features [N, F], floating point (any device; the module is trained there).</param>
    /// <param name="labels">N (noisy) class indices in [0, <paramref name="numClasses"/>), int64.</param>
    /// <param name="numClasses">Classes C.</param>
    /// <param name="config">Hidden size, epochs, learning rate, weight decay, batch size.</param>
    /// <param name="seed">Seed of the initialisation and the batch order.</param>
    /// <exception cref="ArgumentException">Shapes, dtypes or label range wrong; invalid config.</exception>
    public static ConfidenceTrainingResult Train(Tensor features, Tensor labels, int numClasses, ConfidenceModuleConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var y = CheckInputs(features, labels, numClasses);
        long n = features.shape[0];
        var device = features.device;

        ConfidenceModule module;
        var saved = get_rng_state();
        try
        {
            manual_seed(seed);
            module = new ConfidenceModule((int)features.shape[1], numClasses, config.HiddenSize);
        }
        finally
        {
            set_rng_state(saved);
            saved.Dispose();
        }
        module.to(device);   // before the optimizer: .to() replaces parameter objects
        module.SetStandardization(features);
        module.SetPriorBias(y);
        using var optimizer = new StableAdamW([new TorchSharp.Modules.AdamW.ParamGroup(module.parameters(), config.LearningRate, 0.9, 0.999, 1e-8, config.WeightDecay)],
            config.LearningRate, 0.9, 0.999, 1e-8, config.WeightDecay);
        using var generator = new Generator((ulong)seed);
        using var x = features.detach().to(ScalarType.Float32);
        using var targets = nn.functional.one_hot(y, numClasses).to(ScalarType.Float32);

        var losses = new List<double>();
        module.train();
        for (int epoch = 0; epoch < config.Epochs; epoch++)
        {
            using var order = randperm(n, generator: generator).to(device);
            double sum = 0;
            int steps = 0;
            for (long start = 0; start < n; start += config.BatchSize)
            {
                using var scope = NewDisposeScope();
                var idx = order.narrow(0, start, Math.Min(config.BatchSize, n - start));
                optimizer.zero_grad();
                var loss = nn.functional.binary_cross_entropy_with_logits(module.forward(x.index_select(0, idx)), targets.index_select(0, idx));
                loss.backward();
                optimizer.step();
                sum += loss.item<float>();
                steps++;
            }
            losses.Add(sum / steps);
        }
        module.eval();
        y.Dispose();
        return new ConfidenceTrainingResult(module, losses);
    }

    /// <summary>Checks features [N, F] and labels [N] in [0, C); returns the labels as int64 on the features' device.</summary>
    internal static Tensor CheckInputs(Tensor features, Tensor labels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (numClasses < 1) throw new ArgumentException($"numClasses must be > 0; got {numClasses}.", nameof(numClasses));
        if (features.dim() != 2 || features.shape[0] < 1 || features.shape[1] < 1)
            throw new ArgumentException($"expected features of shape [N, F] with N, F > 0 but got [{string.Join(", ", features.shape)}]", nameof(features));
        if (!features.is_floating_point())
            throw new ArgumentException($"expected floating-point features but got {features.dtype}", nameof(features));
        if (labels.dim() != 1 || labels.shape[0] != features.shape[0])
            throw new ArgumentException($"expected labels of shape [{features.shape[0]}] (one per feature row) but got [{string.Join(", ", labels.shape)}]", nameof(labels));
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool)
            throw new ArgumentException($"expected integer class indices but got {labels.dtype}", nameof(labels));
        using var scope = NewDisposeScope();
        if (labels.lt(0).any().item<bool>() || labels.ge(numClasses).any().item<bool>())
            throw new ArgumentException($"expected labels in [0, {numClasses}) but got values in [{labels.min().item<long>()}, {labels.max().item<long>()}]", nameof(labels));
        if (!features.isfinite().all().item<bool>())
            throw new ArgumentException("expected finite features", nameof(features));
        // A copy, so the caller may dispose it without touching the argument.
        return labels.to(ScalarType.Int64).to(features.device).clone().MoveToOuterDisposeScope();
    }
}
