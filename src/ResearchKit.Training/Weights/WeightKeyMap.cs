namespace ResearchKit.Training.Weights;

/// <summary>
/// Maps source state-dict keys (as written by PyTorch) to the module's keys: drop prefixes (e.g. the classifier
/// <c>fc.</c> / <c>last_linear.</c>), rename prefixes (e.g. <c>module.</c> → empty, or empty → <c>backbone.</c>),
/// then an optional custom function. A null result drops the key.
/// </summary>
public sealed record WeightKeyMap
{
    /// <summary>The identity map.</summary>
    public static WeightKeyMap Identity { get; } = new();

    /// <summary>Source keys starting with any of these are dropped (not reported as unexpected).</summary>
    public IReadOnlyList<string> DropPrefixes { get; init; } = [];

    /// <summary>Prefix renames applied in order (first match wins) after dropping.</summary>
    public IReadOnlyList<(string From, string To)> RenamePrefixes { get; init; } = [];

    /// <summary>
    /// Squeeze leading singleton dimensions when the stored shape differs from the module's only by them. Proxy-Anchor
    /// does this for Cadene's BN-Inception file, whose BatchNorm vectors are stored as (1, C).
    /// </summary>
    public bool SqueezeLeadingSingletons { get; init; }

    /// <summary>Optional last step: maps a key (after drops and renames) to a new key, or null to drop it.</summary>
    public Func<string, string?>? Custom { get; init; }

    /// <summary>The module key for <paramref name="sourceKey"/>, or null when the key is dropped.</summary>
    public string? Map(string sourceKey)
    {
        foreach (var p in DropPrefixes)
            if (sourceKey.StartsWith(p, StringComparison.Ordinal)) return null;
        var key = sourceKey;
        foreach (var (from, to) in RenamePrefixes)
            if (key.StartsWith(from, StringComparison.Ordinal)) { key = to + key[from.Length..]; break; }
        return Custom is null ? key : Custom(key);
    }
}
