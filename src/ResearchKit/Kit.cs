namespace ResearchKit;

/// <summary>Placeholder.</summary>
public static class Kit { }
