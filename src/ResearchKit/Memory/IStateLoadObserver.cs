namespace ResearchKit.Memory;

/// <summary>
/// A module that keeps state derived from its buffers (e.g. <see cref="GlobalCenter"/>'s running statistics). Code that
/// writes buffers in place from outside the module (a weight or checkpoint loader) calls <see cref="OnStateLoaded"/>
/// afterwards on every module of the tree that implements it, so the derived state is rebuilt.
/// </summary>
public interface IStateLoadObserver
{
    /// <summary>The module's buffers were overwritten from outside; derived state must be recomputed before use.</summary>
    void OnStateLoaded();
}
