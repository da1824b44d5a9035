using static TorchSharp.torch;

namespace ResearchKit.Training.Confidence;

/// <summary>
/// The per-sample class confidences c(x, p) of a training split, N x C in [0, 1], computed once (no gradient) after the
/// confidence module is trained; the trainer gathers a batch's rows by the batch's sample indices.
/// </summary>
public sealed class ConfidenceTable : IDisposable
{
    private readonly Tensor values;

    /// <summary>Wraps an N x C confidence matrix (copied, detached).</summary>
    /// <exception cref="ArgumentException">Not a 2-D floating-point matrix with values in [0, 1].</exception>
    public ConfidenceTable(Tensor confidences)
    {
        ArgumentNullException.ThrowIfNull(confidences);
        if (confidences.dim() != 2 || confidences.shape[0] < 1 || confidences.shape[1] < 1)
            throw new ArgumentException($"expected confidences of shape [N, C] but got [{string.Join(", ", confidences.shape)}]", nameof(confidences));
        if (!confidences.is_floating_point())
            throw new ArgumentException($"expected floating-point confidences but got {confidences.dtype}", nameof(confidences));
        using (var scope = NewDisposeScope())
            if (!confidences.ge(0).logical_and(confidences.le(1)).all().item<bool>())
                throw new ArgumentException("expected confidences in [0, 1]", nameof(confidences));
        values = confidences.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>Runs <paramref name="module"/> over features [N, F] in batches (eval mode, no gradient).</summary>
    /// <exception cref="ArgumentException">Features do not match the module.</exception>
    public static ConfidenceTable Compute(ConfidenceModule module, Tensor features, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(features);
        if (batchSize < 1) throw new ArgumentException($"batchSize must be > 0; got {batchSize}.", nameof(batchSize));
        module.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long n = features.dim() == 2 ? features.shape[0] : 0;
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += batchSize)
            parts.Add(module.Confidences(features.narrow(0, start, Math.Min(batchSize, n - start))));
        if (parts.Count == 0) module.Confidences(features);   // throws the module's shape error
        return new ConfidenceTable(cat(parts, 0));
    }

    /// <summary>All confidences, N x C (owned by the table; do not dispose).</summary>
    public Tensor Values => values;

    /// <summary>Samples N.</summary>
    public long Count => values.shape[0];

    /// <summary>Classes C.</summary>
    public long NumClasses => values.shape[1];

    /// <summary>The rows of the given sample indices, B x C, on <paramref name="device"/> (default: the table's).</summary>
    /// <exception cref="ArgumentException">An index outside [0, N).</exception>
    public Tensor Rows(IReadOnlyList<int> indices, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        for (int i = 0; i < indices.Count; i++)
            if ((uint)indices[i] >= (ulong)Count)
                throw new ArgumentException($"expected sample indices in [0, {Count}) but got {indices[i]} at position {i}", nameof(indices));
        using var idx = tensor(indices.Select(i => (long)i).ToArray(), device: values.device);
        var rows = values.index_select(0, idx);
        return device is null || device.type == values.device.type && device.index == values.device.index ? rows : rows.to(device);
    }

    /// <summary>Moves the table to <paramref name="device"/> (returns a new table; this one stays valid).</summary>
    public ConfidenceTable To(Device device)
    {
        using var moved = values.to(device);
        return new ConfidenceTable(moved);
    }

    /// <inheritdoc/>
    public void Dispose() => values.Dispose();
}
