using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>Small facts about modules.</summary>
public static class ModuleInfo
{
    /// <summary>Number of parameter elements (all, or only those with <c>requires_grad</c>).</summary>
    public static long CountParameters(nn.Module module, bool trainableOnly = false) =>
        module.parameters().Where(p => !trainableOnly || p.requires_grad).Sum(p => p.numel());
}
