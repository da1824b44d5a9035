namespace ResearchKit.Training.Runs;

/// <summary>
/// The names of the files and folders in a run folder and in an experiment folder: the one place that spells them (readers,
/// writers and the notebooks' cells all go through these).
/// </summary>
/// <remarks>
/// A run folder: <see cref="Config"/>, <see cref="MetricsCsv"/> and <see cref="MetricsJsonl"/> (one row per epoch),
/// <see cref="TensorBoard"/>, <see cref="Checkpoints"/>, <see cref="Result"/>, and for an experiment's run <see cref="Label"/>.
/// An experiment folder: <see cref="Plan"/>, <see cref="Table"/>, <see cref="EpochTable"/> and the run folders under
/// <see cref="Runs"/> (<see cref="RunPath"/>); the output root beside it holds the shared <see cref="FeatureCache"/>.
/// </remarks>
public static class RunLayout
{
    /// <summary>The resolved training config of a run.</summary>
    public const string Config = "config.json";
    /// <summary>The final result of a finished run; its presence marks the run finished.</summary>
    public const string Result = "result.json";
    /// <summary>Per-epoch metrics as CSV (invariant culture, round-trip precision).</summary>
    public const string MetricsCsv = "metrics.csv";
    /// <summary>Per-epoch metrics as JSON lines (what resume and the per-epoch tables read).</summary>
    public const string MetricsJsonl = "metrics.jsonl";
    /// <summary>TensorBoard event files.</summary>
    public const string TensorBoard = "tensorboard";
    /// <summary>The checkpoint folder (<see cref="CheckpointStore"/> names the files inside).</summary>
    public const string Checkpoints = "checkpoints";
    /// <summary>Which experiment, profile, data set, variant and seed a run folder belongs to.</summary>
    public const string Label = "experiment.json";

    /// <summary>An experiment folder's plan: the runs that make its table.</summary>
    public const string Plan = "plan.json";
    /// <summary>An experiment folder's table (mean and sd over seeds).</summary>
    public const string Table = "table.csv";
    /// <summary>An experiment folder's per-epoch means (experiments that plot curves).</summary>
    public const string EpochTable = "epochs.csv";
    /// <summary>The folder of an experiment folder's run folders.</summary>
    public const string Runs = "runs";
    /// <summary>The folder of cached frozen-backbone features, shared by every experiment under one output root.</summary>
    public const string FeatureCache = "feature-cache";

    /// <summary>A run folder relative to its experiment folder: <c>runs/&lt;data set&gt;/&lt;variant slug&gt;/seed-&lt;seed&gt;</c>.</summary>
    public static string RunPath(string dataset, string variantSlug, int seed) => Path.Combine(Runs, dataset, variantSlug, SeedFolder(seed));

    /// <summary>The innermost folder of a run: <c>seed-&lt;seed&gt;</c>.</summary>
    public static string SeedFolder(int seed) => $"seed-{seed}";
}
