using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ResearchKit.Training.Config;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Runs;

/// <summary>
/// One run's folder: <c>config.json</c> (resolved), <c>metrics.csv</c> and <c>metrics.jsonl</c> (one row per epoch),
/// <c>tensorboard/</c> (event files via TorchSharp's SummaryWriter), <c>checkpoints/</c>, and <c>result.json</c>.
/// </summary>
public sealed partial class RunDirectory : IDisposable
{
    private readonly Lock gate = new();
    private SummaryWriter? tensorboard;
    private List<string>? csvColumns;

    private RunDirectory(string path) => Root = path;

    /// <summary>Absolute path of the run folder.</summary>
    public string Root { get; }

    /// <summary>The resolved config.</summary>
    public string ConfigPath => Path.Combine(Root, "config.json");
    /// <summary>Per-epoch metrics as CSV (invariant culture, round-trip precision).</summary>
    public string MetricsCsvPath => Path.Combine(Root, "metrics.csv");
    /// <summary>Per-epoch metrics as JSON lines.</summary>
    public string MetricsJsonlPath => Path.Combine(Root, "metrics.jsonl");
    /// <summary>TensorBoard log folder.</summary>
    public string TensorBoardDir => Path.Combine(Root, "tensorboard");
    /// <summary>Checkpoint folder (see <see cref="CheckpointStore"/>).</summary>
    public string CheckpointDir => Path.Combine(Root, "checkpoints");
    /// <summary>The final result.</summary>
    public string ResultPath => Path.Combine(Root, "result.json");

    /// <summary>Creates <c>root/name</c> (it must not exist or be empty) and writes the resolved config.</summary>
    /// <exception cref="ArgumentException">The name is not a plain folder name, or the folder already holds files.</exception>
    public static RunDirectory Create(string root, string name, TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            throw new ArgumentException($"Expected a plain folder name for the run; got '{name}'.", nameof(name));
        var path = Path.GetFullPath(Path.Combine(root, name));
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new ArgumentException($"Run folder '{path}' already exists and is not empty; use Open to resume.", nameof(name));
        Directory.CreateDirectory(path);
        var run = new RunDirectory(path);
        TrainingConfigJson.Save(config.Validate(), run.ConfigPath);
        return run;
    }

    /// <summary>Opens an existing run folder (to resume); metrics keep appending.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder or its config.json is missing.</exception>
    public static RunDirectory Open(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(Path.Combine(full, "config.json")))
            throw new DirectoryNotFoundException($"'{full}' is not a run folder (no config.json).");
        return new RunDirectory(full);
    }

    /// <summary>Reads back the resolved config.</summary>
    public TrainingConfig LoadConfig() => TrainingConfigJson.Load(ConfigPath);

    /// <summary>A <see cref="CheckpointStore"/> over <see cref="CheckpointDir"/>.</summary>
    public CheckpointStore Checkpoints(int keepLast = 2) => new(CheckpointDir, keepLast);

    /// <summary>
    /// Appends one epoch's metrics to the CSV (adding columns when new names appear; earlier rows get empty cells),
    /// the JSONL file and TensorBoard (tag = metric name, step = <paramref name="step"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A metric name outside <c>[A-Za-z0-9_./@-]</c>, or a reserved name.</exception>
    public void AppendEpoch(int epoch, long step, IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        foreach (var k in metrics.Keys)
        {
            if (!MetricName().IsMatch(k))
                throw new ArgumentException($"Metric name '{k}' must match [A-Za-z0-9_./@-]+.", nameof(metrics));
            if (k is "epoch" or "step")
                throw new ArgumentException($"Metric name '{k}' is reserved.", nameof(metrics));
        }
        lock (gate)
        {
            AppendCsv(epoch, step, metrics);
            var line = new JsonObject { ["epoch"] = epoch, ["step"] = step };
            foreach (var (k, v) in metrics) line[k] = double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(CultureInfo.InvariantCulture));
            File.AppendAllText(MetricsJsonlPath, line.ToJsonString() + "\n");
            tensorboard ??= utils.tensorboard.SummaryWriter(TensorBoardDir, createRunName: false);
            foreach (var (k, v) in metrics) tensorboard.add_scalar(k, (float)v, checked((int)step));
        }
    }

    private void AppendCsv(int epoch, long step, IReadOnlyDictionary<string, double> metrics)
    {
        if (csvColumns is null)
        {
            csvColumns = File.Exists(MetricsCsvPath) ? (File.ReadLines(MetricsCsvPath).FirstOrDefault() ?? "").Split(',').Skip(2).Where(c => c.Length > 0).ToList() : [];
        }
        var added = metrics.Keys.Where(k => !csvColumns.Contains(k)).ToList();
        if (added.Count > 0 || !File.Exists(MetricsCsvPath))
        {
            var oldRows = File.Exists(MetricsCsvPath) ? File.ReadLines(MetricsCsvPath).Skip(1).ToList() : [];
            csvColumns.AddRange(added);
            var sb = new StringBuilder();
            sb.Append("epoch,step");
            foreach (var c in csvColumns) sb.Append(',').Append(c);
            sb.Append('\n');
            foreach (var row in oldRows) sb.Append(row).Append(',', added.Count).Append('\n');
            AtomicFile.WriteAllText(MetricsCsvPath, sb.ToString());
        }
        var line = new StringBuilder();
        line.Append(epoch.ToString(CultureInfo.InvariantCulture)).Append(',').Append(step.ToString(CultureInfo.InvariantCulture));
        foreach (var c in csvColumns)
        {
            line.Append(',');
            if (metrics.TryGetValue(c, out var v)) line.Append(v.ToString("R", CultureInfo.InvariantCulture));
        }
        File.AppendAllText(MetricsCsvPath, line.Append('\n').ToString());
    }

    /// <summary>Writes the final result (any JSON-serializable object) atomically to <c>result.json</c>.</summary>
    public void WriteResult<T>(T result) =>
        AtomicFile.WriteAllText(ResultPath, JsonSerializer.Serialize(result, TrainingConfigJson.Options));

    /// <summary>Reads per-epoch rows back from the JSONL file.</summary>
    public IReadOnlyList<JsonObject> ReadEpochs() =>
        File.Exists(MetricsJsonlPath)
            ? File.ReadLines(MetricsJsonlPath).Where(l => l.Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList()
            : [];

    /// <summary>Closes the TensorBoard writer.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            tensorboard = null; // SummaryWriter opens, appends and closes its file per event; nothing else to release.
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_./@-]+$")]
    private static partial Regex MetricName();
}
