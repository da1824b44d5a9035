using ResearchKit.Losses;
using ResearchKit.Similarity;
using ResearchKit.Training.Config;
using static TorchSharp.torch;

namespace ResearchKit.Training.Engine;

/// <summary>
/// Builds a run's objective from its <see cref="LossConfig"/> through the loss's registry entry: the loss, the proxy head
/// it expects (its K, T and init, or the run's), its regulariser, and the CP structure around it when asked.
/// </summary>
public static class LossFactory
{
    /// <summary>The objective for <paramref name="numClasses"/> training classes and embedding size <paramref name="embeddingSize"/>.</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public static ProxyObjectiveModule Create(LossConfig config, int numClasses, int embeddingSize, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var entry = config.Entry;
        var loss = entry.Build(config.Base, config.CalibrateProxy);
        var regularizer = entry.Regularizer(config.Base);
        var wanted = entry.Head(config.Base);
        int k = wanted.ProxiesPerClass ?? (config.CalibrateProxy ? config.Cp.ProxiesPerClass : config.ProxiesPerClass);
        double t = wanted.Temperature ?? (config.CalibrateProxy ? config.Cp.Temperature : 1.0);
        var head = new ProxySimilarity(numClasses, embeddingSize, k, t, wanted.Init, generator: generator);
        return config.CalibrateProxy
            ? new CalibrateProxyObjective(head, loss, config.Cp with { ProxiesPerClass = k, Temperature = t }, regularizer)
            : new ProxyObjective(head, loss, regularizer);
    }
}
