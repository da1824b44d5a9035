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
/// One run's folder (<see cref="RunLayout"/>): the resolved config, the per-epoch metrics as CSV and JSON lines, TensorBoard
/// event files (via TorchSharp's SummaryWriter), the checkpoints and the result.
/// An open <see cref="RunDirectory"/> is the folder's only writer (<see cref="FolderLock"/>); the metric files are rewritten
/// atomically on every epoch (they hold one row per epoch), so a kill never leaves a partial line, and a resume cuts
/// them back to the checkpoint it continues from (<see cref="TruncateEpochs"/>).
/// </summary>
public sealed partial class RunDirectory : IDisposable
{
    private readonly Lock gate = new();
    private readonly FolderLock folderLock;
    private readonly List<EpochMetrics> rows;
    private SummaryWriter? tensorboard;

    private RunDirectory(string path, FolderLock folderLock, List<EpochMetrics> rows)
    {
        Root = path;
        this.folderLock = folderLock;
        this.rows = rows;
    }

    /// <summary>Absolute path of the run folder.</summary>
    public string Root { get; }

    /// <summary>The resolved config.</summary>
    public string ConfigPath => Path.Combine(Root, RunLayout.Config);
    /// <summary>Per-epoch metrics as CSV (invariant culture, round-trip precision).</summary>
    public string MetricsCsvPath => Path.Combine(Root, RunLayout.MetricsCsv);
    /// <summary>Per-epoch metrics as JSON lines.</summary>
    public string MetricsJsonlPath => Path.Combine(Root, RunLayout.MetricsJsonl);
    /// <summary>TensorBoard log folder.</summary>
    public string TensorBoardDir => Path.Combine(Root, RunLayout.TensorBoard);
    /// <summary>Checkpoint folder (see <see cref="CheckpointStore"/>).</summary>
    public string CheckpointDir => Path.Combine(Root, RunLayout.Checkpoints);
    /// <summary>The final result.</summary>
    public string ResultPath => Path.Combine(Root, RunLayout.Result);

    // What a run that never got to its first checkpoint may have left (a retry replaces them).
    private static readonly string[] NotStartedLeftovers = [RunLayout.Config, RunLayout.MetricsCsv, RunLayout.MetricsJsonl, RunLayout.TensorBoard, RunLayout.Checkpoints, RunLayout.Label];

    /// <summary>
    /// Claims <c>root/name</c> for a new run: takes its lock, then accepts a missing or empty folder, or one whose run never
    /// started (no checkpoint, no metric rows, no result: e.g. a failed start), whose leftovers are removed. Writes nothing
    /// else; call <see cref="WriteConfig"/> once the run can start.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a plain folder name, or the folder holds a run that started
    /// (the message says how to resume it) or files that are not a run's.</exception>
    /// <exception cref="FolderLockedException">Another process writes the folder.</exception>
    public static RunDirectory Claim(string root, string name, Action<string>? log = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            throw new ArgumentException($"Expected a plain folder name for the run; got '{name}'.", nameof(name));
        var path = Path.GetFullPath(Path.Combine(root, name));
        var folderLock = FolderLock.Acquire(path, log: log);
        try
        {
            if (HasStarted(path))
                throw new ArgumentException($"run folder '{path}' already holds a run that started; continue it with " +
                    $"`researchkit train --resume --out {path}`, or choose another folder.", nameof(name));
            var foreign = Directory.EnumerateFileSystemEntries(path)
                .Where(e => !FolderLock.IsLockFile(e) && !NotStartedLeftovers.Contains(Path.GetFileName(e))).ToList();
            if (foreign.Count > 0)
                throw new ArgumentException($"'{path}' is not empty and is not a run folder (it holds {Path.GetFileName(foreign[0])}" +
                    $"{(foreign.Count > 1 ? $" and {foreign.Count - 1} more" : "")}); choose another folder.", nameof(name));
            foreach (var leftover in NotStartedLeftovers.Select(f => Path.Combine(path, f)))
            {
                if (Directory.Exists(leftover)) Directory.Delete(leftover, recursive: true);
                else if (File.Exists(leftover) && Path.GetFileName(leftover) != RunLayout.Label) File.Delete(leftover);
            }
            return new RunDirectory(path, folderLock, []);
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>Claims <c>root/name</c> (<see cref="Claim"/>) and writes the resolved config.</summary>
    public static RunDirectory Create(string root, string name, TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var run = Claim(root, name);
        run.WriteConfig(config);
        return run;
    }

    /// <summary>Opens an existing run folder to continue it (takes its lock); metric rows already written are kept.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder or its config.json is missing.</exception>
    /// <exception cref="FolderLockedException">Another process writes the folder.</exception>
    /// <exception cref="InvalidDataException">metrics.jsonl has a bad line before its last (the message names file and line).</exception>
    public static RunDirectory Open(string path, Action<string>? log = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(Path.Combine(full, RunLayout.Config)))
            throw new DirectoryNotFoundException($"'{full}' is not a run folder (no {RunLayout.Config}).");
        var folderLock = FolderLock.Acquire(full, log: log);
        try
        {
            var jsonl = Path.Combine(full, RunLayout.MetricsJsonl);
            var rows = ParseRows(jsonl, toleratePartialLast: true, out bool droppedPartial);
            if (droppedPartial) log?.Invoke($"dropped a partial last line of {jsonl} (an interrupted write)");
            return new RunDirectory(full, folderLock, rows);
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the run in <paramref name="path"/> got anywhere: a checkpoint, a metric row or a result. A folder whose run
    /// never started (its start failed, or it was killed before its first epoch ended) can be started afresh.
    /// </summary>
    public static bool HasStarted(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(full, RunLayout.Result))) return true;
        if (new CheckpointStore(Path.Combine(full, RunLayout.Checkpoints)).List().Count > 0) return true;
        var jsonl = Path.Combine(full, RunLayout.MetricsJsonl);
        return File.Exists(jsonl) && File.ReadLines(jsonl).Any(l => l.Trim().Length > 0);
    }

    /// <summary>Reads the resolved config of a run folder without taking its lock.</summary>
    public static TrainingConfig ReadConfig(string path) => TrainingConfigJson.Load(Path.Combine(Path.GetFullPath(path), RunLayout.Config));

    /// <summary>Writes the resolved config (atomically).</summary>
    public void WriteConfig(TrainingConfig config) => TrainingConfigJson.Save(config.Validate(), ConfigPath);

    /// <summary>Reads back the resolved config.</summary>
    public TrainingConfig LoadConfig() => TrainingConfigJson.Load(ConfigPath);

    /// <summary>A <see cref="CheckpointStore"/> over <see cref="CheckpointDir"/>.</summary>
    public CheckpointStore Checkpoints(int keepLast = 2) => new(CheckpointDir, keepLast);

    /// <summary>Epoch rows written so far.</summary>
    public int EpochCount
    {
        get { lock (gate) return rows.Count; }
    }

    /// <summary>
    /// Records one epoch's metrics: the CSV (columns in order of first appearance; rows without a metric get an empty
    /// cell) and the JSONL file are rewritten atomically, and TensorBoard gets the scalars (tag = metric name, step =
    /// <paramref name="step"/>).
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
            rows.Add(new EpochMetrics(epoch, step, new Dictionary<string, double>(metrics)));
            WriteMetricFiles();
            tensorboard ??= utils.tensorboard.SummaryWriter(TensorBoardDir, createRunName: false);
            foreach (var (k, v) in metrics) tensorboard.add_scalar(k, (float)v, checked((int)step));
        }
    }

    /// <summary>
    /// Keeps only the rows of epochs before <paramref name="epochs"/> (a resume from the checkpoint after that many epochs
    /// redoes the rest), rewriting the metric files and TensorBoard's events, so that a resumed run's files end exactly
    /// as an uninterrupted run's. Returns the number of rows dropped.
    /// </summary>
    public int TruncateEpochs(int epochs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        lock (gate)
        {
            int dropped = rows.RemoveAll(r => r.Epoch >= epochs);
            WriteMetricFiles();   // also drops a partial last line an older version may have left
            if (dropped == 0) return 0;
            tensorboard = null;
            if (Directory.Exists(TensorBoardDir)) Directory.Delete(TensorBoardDir, recursive: true);
            if (rows.Count > 0)
            {
                tensorboard = utils.tensorboard.SummaryWriter(TensorBoardDir, createRunName: false);
                foreach (var r in rows)
                    foreach (var (k, v) in r.Metrics) tensorboard.add_scalar(k, (float)v, checked((int)r.Step));
            }
            return dropped;
        }
    }

    private void WriteMetricFiles()
    {
        if (rows.Count == 0)
        {
            File.Delete(MetricsCsvPath);
            File.Delete(MetricsJsonlPath);
            return;
        }
        var columns = new List<string>();
        foreach (var r in rows) columns.AddRange(r.Metrics.Keys.Where(k => !columns.Contains(k)));
        var csv = new StringBuilder("epoch,step");
        foreach (var c in columns) csv.Append(',').Append(c);
        csv.Append('\n');
        var jsonl = new StringBuilder();
        foreach (var r in rows)
        {
            csv.Append(r.Epoch.ToString(CultureInfo.InvariantCulture)).Append(',').Append(r.Step.ToString(CultureInfo.InvariantCulture));
            foreach (var c in columns)
            {
                csv.Append(',');
                if (r.Metrics.TryGetValue(c, out var v)) csv.Append(v.ToString("R", CultureInfo.InvariantCulture));
            }
            csv.Append('\n');
            var line = new JsonObject { ["epoch"] = r.Epoch, ["step"] = r.Step };
            foreach (var (k, v) in r.Metrics) line[k] = double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(CultureInfo.InvariantCulture));
            jsonl.Append(line.ToJsonString()).Append('\n');
        }
        AtomicFile.WriteAllText(MetricsCsvPath, csv.ToString());
        AtomicFile.WriteAllText(MetricsJsonlPath, jsonl.ToString());
    }

    /// <summary>Writes the final result (any JSON-serializable object) atomically to <c>result.json</c>.</summary>
    public void WriteResult<T>(T result) =>
        AtomicFile.WriteAllText(ResultPath, JsonSerializer.Serialize(result, TrainingConfigJson.Options));

    /// <summary>Per-epoch rows of this run.</summary>
    public IReadOnlyList<EpochMetrics> ReadEpochs() => ReadEpochs(Root);

    /// <summary>Reads the per-epoch rows of a run folder (no lock taken: for reports).</summary>
    /// <exception cref="InvalidDataException">A line is not a JSON object with an epoch; the message names file and line.</exception>
    public static IReadOnlyList<EpochMetrics> ReadEpochs(string runFolder) =>
        ParseRows(Path.Combine(Path.GetFullPath(runFolder), RunLayout.MetricsJsonl), toleratePartialLast: false, out _);

    private static JsonObject ParseLine(string line, string path, int lineNumber)
    {
        try
        {
            if (JsonNode.Parse(line) is JsonObject o && o["epoch"] is not null) return o;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{lineNumber}: not a metrics row ({e.Message})", e);
        }
        throw new InvalidDataException($"{path}:{lineNumber}: not a metrics row (expected a JSON object with an epoch).");
    }

    private static List<EpochMetrics> ParseRows(string path, bool toleratePartialLast, out bool droppedPartial)
    {
        droppedPartial = false;
        if (!File.Exists(path)) return [];
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        var rows = new List<EpochMetrics>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            JsonObject o;
            try { o = ParseLine(lines[i], path, i + 1); }
            // Written by an older version that appended in place: a kill mid-append leaves an unterminated last line.
            catch (InvalidDataException) when (toleratePartialLast && i == lines.Length - 1 && !text.EndsWith('\n'))
            {
                droppedPartial = true;
                break;
            }
            var metrics = new Dictionary<string, double>();
            foreach (var (k, v) in o)
            {
                if (k is "epoch" or "step" || v is null) continue;
                metrics[k] = v.GetValueKind() == JsonValueKind.String
                    ? double.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture)
                    : v.GetValue<double>();
            }
            rows.Add(new EpochMetrics(o["epoch"]!.GetValue<int>(), o["step"]?.GetValue<long>() ?? 0, metrics));
        }
        return rows;
    }

    /// <summary>Closes the TensorBoard writer and releases the folder's lock.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            tensorboard = null; // SummaryWriter opens, appends and closes its file per event; nothing else to release.
        }
        folderLock.Dispose();
    }

    [GeneratedRegex("^[A-Za-z0-9_./@-]+$")]
    private static partial Regex MetricName();
}

/// <summary>One epoch's row of a run's metric files, typed.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Step">Optimizer steps taken by the end of the epoch.</param>
/// <param name="Metrics">Values by metric key (<see cref="RunMetrics"/>; non-finite values come back as NaN or infinities).</param>
public sealed record EpochMetrics(int Epoch, long Step, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The stored value of <paramref name="metric"/> in this row, or null when the epoch did not record it.</summary>
    public double? Value(ResearchKit.Metrics.MetricDefinition metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return Metrics.TryGetValue(metric.Key, out var v) ? v : null;
    }
}
