namespace ResearchKit.Training;

/// <summary>Placeholder until the training layer lands.</summary>
internal static class TrainingAssembly { }
