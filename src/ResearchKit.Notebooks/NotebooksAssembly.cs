namespace ResearchKit.Notebooks;

/// <summary>Placeholder until the notebook layer lands.</summary>
internal static class NotebooksAssembly { }
