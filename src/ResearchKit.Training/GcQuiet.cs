using System.Runtime;

namespace ResearchKit.Training;

/// <summary>
/// Keeps the .NET GC from starting while the trainer is inside libtorch, where TorchSharp's implicit <c>Scalar</c>s
/// (<c>t * 0.5</c>, <c>masked_fill(m, 0)</c>, <c>add_(s)</c>'s alpha) are no longer referenced by managed code and a GC
/// started by another thread (the finalizer thread, a loader thread) can free them mid-call (docs/torchsharp-scalar-race.md).
/// <see cref="Enter"/>, called before each training step and evaluation pass, opens a no-GC region with a
/// <see cref="BudgetBytes"/> allocation budget when none is open: its own full collection happens there, on the trainer's
/// thread, between libtorch calls, and the region stays open across steps until the budget is spent, so the cost is one
/// blocking collection per 256 MiB of managed allocation, about what the gen-0 collections it replaces cost.
/// When the budget runs out mid-step the runtime collects at that allocation (the exposure we had before, now once per
/// budget instead of once per gen-0 budget). <c>RESEARCHKIT_GC_QUIET=0</c> turns it off.
/// </summary>
public static class GcQuiet
{
    /// <summary>Managed allocation allowed before the region ends on its own: 32 MiB.</summary>
    public const long BudgetBytes = 32L << 20;

    /// <summary>The environment variable that turns it off (<c>0</c>).</summary>
    public const string OptOutVariable = "RESEARCHKIT_GC_QUIET";

    private static readonly bool Enabled = Environment.GetEnvironmentVariable(OptOutVariable) != "0";

    /// <summary>Regions opened in this process (each one collection), for the run's log and tests.</summary>
    public static int RegionsStarted { get; private set; }

    /// <summary>Whether a no-GC region is open now.</summary>
    public static bool Active => GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;

    /// <summary>Opens a region unless one is open (or the opt-out is set, or the runtime refuses the budget).</summary>
    public static void Enter()
    {
        if (!Enabled || Active) return;
        try
        {
            if (GC.TryStartNoGCRegion(BudgetBytes)) RegionsStarted++;
        }
        catch (InvalidOperationException)
        {
            // Another component opened a region between the check and the call: it protects us as well.
        }
        catch (ArgumentOutOfRangeException)
        {
            // The budget exceeds this runtime's ephemeral space (a small 32-bit heap): run without the region.
        }
    }

    /// <summary>Closes the open region (when training ends), so the rest of the process collects normally.</summary>
    public static void Exit()
    {
        if (!Active) return;
        try { GC.EndNoGCRegion(); }
        catch (InvalidOperationException) { /* the budget ran out or a GC was induced: the region already ended */ }
    }
}
