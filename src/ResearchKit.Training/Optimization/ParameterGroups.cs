using ResearchKit.Training.Config;
using ResearchKit.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Optimization;

/// <summary>Role of a parameter group in Proxy-Anchor's recipe.</summary>
public enum ParamGroupRole
{
    /// <summary>Backbone: base learning rate; frozen during warm-up.</summary>
    Backbone,
    /// <summary>Embedding head: base learning rate × head multiplier (1).</summary>
    Head,
    /// <summary>Loss parameters (proxies, centers): base learning rate × proxy multiplier (100).</summary>
    Proxies,
}

/// <summary>The parameters of each role, disjoint.</summary>
/// <param name="Backbone">Backbone parameters.</param>
/// <param name="Head">Embedding-head parameters.</param>
/// <param name="Proxies">Loss parameters (proxies).</param>
public sealed record ParameterGroups(IReadOnlyList<Parameter> Backbone, IReadOnlyList<Parameter> Head, IReadOnlyList<Parameter> Proxies)
{
    /// <summary>Splits an embedding network and an optional loss module into the three groups.</summary>
    public static ParameterGroups From(EmbeddingNetwork model, nn.Module? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ParameterGroups(model.Backbone.parameters().ToList(), model.Head.parameters().ToList(),
            loss?.parameters().ToList() ?? []);
    }

    /// <summary>Parameters of one role.</summary>
    public IReadOnlyList<Parameter> Of(ParamGroupRole role) => role switch
    {
        ParamGroupRole.Backbone => Backbone,
        ParamGroupRole.Head => Head,
        _ => Proxies,
    };
}

/// <summary>An optimizer plus the role of each of its parameter groups (empty roles get no group).</summary>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="Roles">Role of <c>Optimizer.ParamGroups[i]</c>.</param>
public sealed record OptimizerSetup(AdamW Optimizer, IReadOnlyList<ParamGroupRole> Roles)
{
    /// <summary>Current learning rate of a role's group, or null when the role has no group.</summary>
    public double? LearningRate(ParamGroupRole role)
    {
        int i = Roles.ToList().IndexOf(role);
        return i < 0 ? null : Optimizer.ParamGroups.ElementAt(i).LearningRate;
    }
}

/// <summary>Builds Proxy-Anchor's AdamW: one group per role, proxies at 100× the base rate, weight decay on every group.</summary>
public static class OptimizerFactory
{
    /// <summary>AdamW over the groups with rates from <paramref name="config"/> (betas 0.9/0.999, eps 1e-8, no amsgrad).</summary>
    public static OptimizerSetup AdamW(ParameterGroups groups, TrainingConfig config) =>
        AdamW(groups, config.LearningRate, config.WeightDecay, config.HeadLrMultiplier, config.ProxyLrMultiplier);

    /// <summary>AdamW over the groups: backbone <c>lr</c>, head <c>lr·headMultiplier</c>, proxies <c>lr·proxyMultiplier</c>.</summary>
    /// <exception cref="ArgumentException">No parameters at all, a parameter in two groups, or non-positive rates.</exception>
    public static OptimizerSetup AdamW(ParameterGroups groups, double lr, double weightDecay, double headMultiplier = 1, double proxyMultiplier = 100)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(lr > 0)) throw new ArgumentException($"Expected lr > 0; got {lr}.", nameof(lr));
        if (!(headMultiplier > 0) || !(proxyMultiplier > 0))
            throw new ArgumentException("Expected positive learning-rate multipliers.", nameof(headMultiplier));
        var seen = new HashSet<IntPtr>();
        foreach (var p in groups.Backbone.Concat(groups.Head).Concat(groups.Proxies))
            if (!seen.Add(p.Handle)) throw new ArgumentException("A parameter appears in more than one group.", nameof(groups));
        var list = new List<TorchSharp.Modules.AdamW.ParamGroup>();
        var roles = new List<ParamGroupRole>();
        foreach (var (role, mult) in new[] { (ParamGroupRole.Backbone, 1.0), (ParamGroupRole.Head, headMultiplier), (ParamGroupRole.Proxies, proxyMultiplier) })
        {
            var ps = groups.Of(role);
            if (ps.Count == 0) continue;
            list.Add(new TorchSharp.Modules.AdamW.ParamGroup(ps, lr: lr * mult, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: weightDecay));
            roles.Add(role);
        }
        if (list.Count == 0) throw new ArgumentException("Expected at least one parameter to optimize.", nameof(groups));
        return new OptimizerSetup(new StableAdamW(list, lr, 0.9, 0.999, 1e-8, weightDecay), roles);
    }
}
