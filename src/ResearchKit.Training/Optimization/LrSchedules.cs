using ResearchKit.Training.Config;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim.lr_scheduler;

namespace ResearchKit.Training.Optimization;

/// <summary>Builds the per-epoch learning-rate schedule (call <c>step()</c> once after each epoch).</summary>
public static class LrSchedules
{
    /// <summary>
    /// StepLR(step, gamma) or cosine annealing over <paramref name="epochs"/>; every group keeps its ratio to the base
    /// rate. TorchSharp's schedulers are chainable and keep no state of their own, so on resume pass
    /// <paramref name="completedEpochs"/>: the groups are reset to their initial rates and the schedule is replayed,
    /// which gives the same rates as an uninterrupted run whatever rates the restored optimizer state carried.
    /// </summary>
    public static LRScheduler Create(OptimizerHelper optimizer, LrScheduleConfig config, int epochs, int completedEpochs = 0)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(config);
        if (epochs <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Expected a positive epoch count.");
        if (completedEpochs < 0) throw new ArgumentOutOfRangeException(nameof(completedEpochs), completedEpochs, "Expected >= 0.");
        foreach (var g in optimizer.ParamGroups.Cast<ParamGroup>()) g.LearningRate = g.InitialLearningRate;
        LRScheduler scheduler = config.Kind switch
        {
            LrScheduleKind.Step => StepLR(optimizer, config.StepSize, config.Gamma),
            LrScheduleKind.Cosine => CosineAnnealingLR(optimizer, epochs, config.MinLr),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Kind, "Unknown schedule kind."),
        };
        for (int e = 0; e < completedEpochs; e++) scheduler.step();
        return scheduler;
    }
}
