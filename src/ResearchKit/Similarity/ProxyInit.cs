namespace ResearchKit.Similarity;

/// <summary>How proxies are initialised (losses.md §1.2, §2.2–2.4, §3.2). The tensor is the (C·K, D) proxy matrix.</summary>
public enum ProxyInit
{
    /// <summary>Proxy Anchor (and CP): <c>kaiming_normal_(mode='fan_out')</c>, std = sqrt(2 / rows); sqrt(2/C) for K = 1.</summary>
    KaimingNormalFanOut,
    /// <summary>PML ProxyNCALoss: standard normal (std 1).</summary>
    StandardNormal,
    /// <summary>Proxy-NCA re-implementation and ProxyNCA++: <c>randn / 8</c>.</summary>
    NormalOverEight,
    /// <summary>SoftTriple: <c>kaiming_uniform_(a=sqrt(5))</c> on the (D, C·K) tensor, i.e. U(−b, b) with b = 1/sqrt(C·K).</summary>
    SoftTripleUniform,
}
