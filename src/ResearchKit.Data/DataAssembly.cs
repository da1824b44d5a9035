namespace ResearchKit.Data;

/// <summary>Placeholder until the data layer lands.</summary>
internal static class DataAssembly { }
