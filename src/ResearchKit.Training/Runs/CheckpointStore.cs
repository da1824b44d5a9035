using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ResearchKit.Training.Config;
using ResearchKit.Training.Weights;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Runs;

/// <summary>What to save: modules (model, loss with proxies and queue buffers), optimizer, extra tensors, RNG and sampler state.</summary>
public sealed record CheckpointState
{
    /// <summary>Epochs completed (the next epoch to run on resume).</summary>
    public required int Epoch { get; init; }

    /// <summary>Optimizer steps taken so far.</summary>
    public required long Step { get; init; }

    /// <summary>Modules by name (e.g. <c>model</c>, <c>loss</c>); their parameters and persistent buffers are saved.</summary>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; init; } = new Dictionary<string, nn.Module>();

    /// <summary>Optimizer whose state (moments, step counts, group learning rates) is saved in TorchSharp's format.</summary>
    public OptimizerHelper? Optimizer { get; init; }

    /// <summary>Extra named tensors (queue buffers kept outside modules, pointers as 0-d tensors, …).</summary>
    public IReadOnlyDictionary<string, Tensor> Extra { get; init; } = new Dictionary<string, Tensor>();

    /// <summary>Serializable sampler/shuffler state (the data layer's object, as JSON).</summary>
    public JsonElement? SamplerState { get; init; }

    /// <summary>Save torch's default CPU generator state (restored on load unless the caller opts out).</summary>
    public bool SaveTorchRng { get; init; } = true;

    /// <summary>The run's config: its <see cref="ConfigFingerprint"/> and recipe are stored, so a checkpoint cannot
    /// continue another run (<see cref="CheckpointTargets.Config"/>). Null stores no identity.</summary>
    public TrainingConfig? Config { get; init; }
}

/// <summary>Where to restore a checkpoint into.</summary>
public sealed record CheckpointTargets
{
    /// <summary>Modules by the names used when saving; all must be present in the file (strict).</summary>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; init; } = new Dictionary<string, nn.Module>();

    /// <summary>Optimizer to restore (built over the same parameters, in the same group order), or null to skip.</summary>
    public OptimizerHelper? Optimizer { get; init; }

    /// <summary>Restore torch's default generator state.</summary>
    public bool RestoreTorchRng { get; init; } = true;

    /// <summary>The config the checkpoint must have been written by (same <see cref="ConfigFingerprint"/>), or null to accept
    /// any. Checkpoints written before fingerprints existed carry none and are accepted.</summary>
    public TrainingConfig? Config { get; init; }

    /// <summary>Where <see cref="Config"/> comes from, for messages (e.g. the run's config.json).</summary>
    public string ConfigSource { get; init; } = "the run's config";
}

/// <summary>A checkpoint was written by another config than the run it is loaded into; the message names both.</summary>
public sealed class CheckpointMismatchException(string message) : IOException(message);

/// <summary>The JSON sidecar next to each checkpoint (<c>epoch-0007.json</c>).</summary>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="File">Checkpoint file name (same folder).</param>
/// <param name="Bytes">Checkpoint size.</param>
/// <param name="Sha256">Hex SHA-256 of the checkpoint's body (also stored in its trailer).</param>
/// <param name="CreatedUtc">Write time.</param>
public sealed record CheckpointInfo(int Epoch, long Step, string File, long Bytes, string Sha256, DateTimeOffset CreatedUtc);

/// <summary>A loaded checkpoint: counters, extras and sampler state (modules/optimizer/RNG were restored in place).</summary>
/// <param name="Path">File that was loaded.</param>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="Extra">Extra tensors (owned by the caller).</param>
/// <param name="SamplerState">Sampler state, if saved.</param>
public sealed record RestoredCheckpoint(string Path, int Epoch, long Step, IReadOnlyDictionary<string, Tensor> Extra, JsonElement? SamplerState);

/// <summary>
/// Per-epoch checkpoints in one folder. Each <c>epoch-NNNN.ckpt</c> is written atomically (<see cref="AtomicFile"/>)
/// and is self-verifying: magic, named sections (meta JSON, one safetensors blob per module, optimizer bytes,
/// extra tensors, RNG), then a SHA-256 trailer. A truncated or corrupt file fails with <see cref="InvalidDataException"/>
/// naming it; <see cref="LoadLatest"/> skips such files and resumes from the newest good one.
/// </summary>
public sealed partial class CheckpointStore
{
    private static readonly byte[] Magic = "RKCKPT01"u8.ToArray();
    private static readonly byte[] EndMagic = "RKCKEND1"u8.ToArray();
    private const string FingerprintKey = "configFingerprint", RecipeKey = "config";
    private const int TrailerBytes = 32 + 8;

    /// <summary>Creates a store over <paramref name="directory"/> keeping the newest <paramref name="keepLast"/> checkpoints.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepLast"/> is not positive.</exception>
    public CheckpointStore(string directory, int keepLast = 2)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (keepLast <= 0) throw new ArgumentOutOfRangeException(nameof(keepLast), keepLast, "Expected at least 1 checkpoint to keep.");
        Directory = Path.GetFullPath(directory);
        KeepLast = keepLast;
    }

    /// <summary>Checkpoint folder.</summary>
    public string Directory { get; }

    /// <summary>How many checkpoints survive pruning.</summary>
    public int KeepLast { get; }

    /// <summary>Path of the checkpoint for an epoch.</summary>
    public string PathFor(int epoch) => Path.Combine(Directory, $"epoch-{epoch.ToString("D4", CultureInfo.InvariantCulture)}.ckpt");

    /// <summary>Checkpoint files present (newest epoch first), temporaries excluded.</summary>
    public IReadOnlyList<string> List() =>
        !System.IO.Directory.Exists(Directory) ? [] :
        System.IO.Directory.EnumerateFiles(Directory, "epoch-*.ckpt")
            .Select(f => (File: f, M: FileName().Match(Path.GetFileName(f))))
            .Where(x => x.M.Success)
            .OrderByDescending(x => int.Parse(x.M.Groups[1].Value, CultureInfo.InvariantCulture))
            .Select(x => x.File).ToList();

    /// <summary>Writes a checkpoint (then its sidecar) atomically and prunes old ones.</summary>
    public CheckpointInfo Save(CheckpointState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Epoch < 0) throw new ArgumentOutOfRangeException(nameof(state), state.Epoch, "Expected Epoch >= 0.");
        var sections = new List<(string Name, byte[] Data)>();
        var meta = new Dictionary<string, object?>
        {
            ["epoch"] = state.Epoch, ["step"] = state.Step, ["modules"] = state.Modules.Keys.ToArray(),
            ["optimizer"] = state.Optimizer is not null, ["torchRng"] = state.SaveTorchRng, ["samplerState"] = state.SamplerState,
        };
        if (state.Config is not null)
        {
            meta[FingerprintKey] = ConfigFingerprint.Of(state.Config);
            meta[RecipeKey] = JsonSerializer.SerializeToElement(ConfigFingerprint.Recipe(state.Config), TrainingConfigJson.Options);
        }
        sections.Add(("meta", JsonSerializer.SerializeToUtf8Bytes(meta, TrainingConfigJson.Options)));
        foreach (var (name, module) in state.Modules)
        {
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (k, p) in module.named_parameters()) tensors[k] = p;
            foreach (var (k, b) in module.named_buffers()) tensors[k] = b;
            sections.Add(("module:" + name, ToSafetensors(tensors)));
        }
        if (state.Optimizer is not null)
        {
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) state.Optimizer.save_state_dict(w);
            sections.Add(("optimizer", ms.ToArray()));
        }
        if (state.Extra.Count > 0) sections.Add(("extra", ToSafetensors(state.Extra)));
        if (state.SaveTorchRng)
        {
            using var rng = get_rng_state();
            sections.Add(("rng", ToSafetensors(new Dictionary<string, Tensor> { ["torch.cpu"] = rng })));
        }

        var path = PathFor(state.Epoch);
        byte[] hash = [];
        long size = 0;
        AtomicFile.Write(path, stream =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Put(ReadOnlySpan<byte> bytes) { stream.Write(bytes); sha.AppendData(bytes); size += bytes.Length; }
            Span<byte> buf = stackalloc byte[8];
            Put(Magic);
            BinaryPrimitives.WriteInt32LittleEndian(buf, sections.Count); Put(buf[..4]);
            foreach (var (name, data) in sections)
            {
                var nameBytes = Encoding.UTF8.GetBytes(name);
                BinaryPrimitives.WriteInt32LittleEndian(buf, nameBytes.Length); Put(buf[..4]);
                Put(nameBytes);
                BinaryPrimitives.WriteInt64LittleEndian(buf, data.LongLength); Put(buf);
                Put(data);
            }
            hash = sha.GetHashAndReset();
            stream.Write(hash);
            stream.Write(EndMagic);
            size += TrailerBytes;
        });
        var info = new CheckpointInfo(state.Epoch, state.Step, Path.GetFileName(path), size, Convert.ToHexStringLower(hash), DateTimeOffset.UtcNow);
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(info, TrainingConfigJson.Options));
        Prune();
        return info;
    }

    private static byte[] ToSafetensors(IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var ms = new MemoryStream();
        Safetensors.Write(ms, tensors);
        return ms.ToArray();
    }

    private void Prune()
    {
        foreach (var old in List().Skip(KeepLast))
        {
            File.Delete(old);
            File.Delete(Path.ChangeExtension(old, ".json"));
        }
        foreach (var tmp in System.IO.Directory.EnumerateFiles(Directory).Where(AtomicFile.IsTemporary))
        {
            try { File.Delete(tmp); } catch (IOException) { }
        }
    }

    /// <summary>Reads and verifies a checkpoint file's sections (magic, lengths, SHA-256 trailer).</summary>
    /// <exception cref="InvalidDataException">The file is truncated or corrupt; the message names it.</exception>
    public static IReadOnlyDictionary<string, byte[]> ReadSections(string path)
    {
        InvalidDataException Bad(string why) => new($"Checkpoint '{path}' is corrupt or truncated: {why}");
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' not found.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 4 + TrailerBytes) throw Bad($"only {bytes.Length} bytes.");
        if (!bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) throw Bad("wrong magic (not a ResearchKit checkpoint).");
        if (!bytes.AsSpan(bytes.Length - EndMagic.Length).SequenceEqual(EndMagic)) throw Bad("missing end marker.");
        int body = bytes.Length - TrailerBytes;
        var expected = bytes.AsSpan(body, 32);
        if (!SHA256.HashData(bytes.AsSpan(0, body)).AsSpan().SequenceEqual(expected)) throw Bad("SHA-256 mismatch.");
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int pos = Magic.Length;
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos)); pos += 4;
        for (int i = 0; i < count; i++)
        {
            if (pos + 4 > body) throw Bad($"section {i} header runs past the body.");
            int nameLen = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos)); pos += 4;
            if (nameLen < 0 || pos + nameLen + 8 > body) throw Bad($"section {i} name runs past the body.");
            var name = Encoding.UTF8.GetString(bytes, pos, nameLen); pos += nameLen;
            long len = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(pos)); pos += 8;
            if (len < 0 || pos + len > body) throw Bad($"section '{name}' runs past the body.");
            sections[name] = bytes.AsSpan(pos, (int)len).ToArray(); pos += (int)len;
        }
        if (pos != body) throw Bad("trailing bytes after the last section.");
        return sections;
    }

    /// <summary>Restores a checkpoint into <paramref name="targets"/>.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated, or a target module is not in it; names the file.</exception>
    /// <exception cref="WeightLoadException">A saved module does not fit its target.</exception>
    public static RestoredCheckpoint Load(string path, CheckpointTargets targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var sections = ReadSections(path);
        if (!sections.TryGetValue("meta", out var metaBytes)) throw new InvalidDataException($"Checkpoint '{path}' has no meta section.");
        using var meta = JsonDocument.Parse(metaBytes);
        int epoch = meta.RootElement.GetProperty("epoch").GetInt32();
        long step = meta.RootElement.GetProperty("step").GetInt64();
        JsonElement? sampler = meta.RootElement.TryGetProperty("samplerState", out var s) && s.ValueKind != JsonValueKind.Null ? s.Clone() : null;
        if (targets.Config is not null) RequireSameConfig(path, meta.RootElement, targets.Config, targets.ConfigSource);

        foreach (var (name, module) in targets.Modules)
        {
            if (!sections.TryGetValue("module:" + name, out var blob))
                throw new InvalidDataException($"Checkpoint '{path}' holds no module '{name}' (it has: {string.Join(", ", sections.Keys.Where(k => k.StartsWith("module:")).Select(k => k[7..]))}).");
            var tensors = FromSafetensors(blob, path);
            try { WeightLoader.Load(module, tensors, new WeightLoadOptions { Strict = true }); }
            catch (WeightLoadException e)
            {
                throw new CheckpointMismatchException($"checkpoint '{path}': its '{name}' does not fit the network built from " +
                    $"{targets.ConfigSource} (written by another config?): {e.Message}");
            }
            finally { foreach (var t in tensors.Values) t.Dispose(); }
        }
        if (targets.Optimizer is not null)
        {
            if (!sections.TryGetValue("optimizer", out var opt)) throw new InvalidDataException($"Checkpoint '{path}' holds no optimizer state.");
            using var r = new BinaryReader(new MemoryStream(opt));
            targets.Optimizer.load_state_dict(r);
        }
        if (targets.RestoreTorchRng && sections.TryGetValue("rng", out var rngBlob))
        {
            var rng = FromSafetensors(rngBlob, path);
            set_rng_state(rng["torch.cpu"]);
            foreach (var t in rng.Values) t.Dispose();
        }
        var extra = sections.TryGetValue("extra", out var ex) ? FromSafetensors(ex, path) : new Dictionary<string, Tensor>();
        return new RestoredCheckpoint(path, epoch, step, extra, sampler);
    }

    private static void RequireSameConfig(string path, JsonElement meta, TrainingConfig expected, string source)
    {
        if (!meta.TryGetProperty(FingerprintKey, out var stored)) return;   // written before fingerprints: nothing to compare
        var want = ConfigFingerprint.Of(expected);
        var have = stored.GetString() ?? "";
        if (have == want) return;
        string diff = "";
        if (meta.TryGetProperty(RecipeKey, out var recipe))
        {
            try { diff = "; they differ in " + ConfigFingerprint.DescribeDifferences(recipe.Deserialize<TrainingConfig>(TrainingConfigJson.Options)!, expected); }
            catch (JsonException) { }
        }
        throw new CheckpointMismatchException($"checkpoint '{path}' was written by another config (fingerprint {ConfigFingerprint.Short(have)}) " +
            $"than {source} (fingerprint {ConfigFingerprint.Short(want)}){diff}; refusing to continue the run from it.");
    }

    private static Dictionary<string, Tensor> FromSafetensors(byte[] blob, string path) =>
        Safetensors.Read(new MemoryStream(blob, writable: false), path);

    /// <summary>
    /// Restores the newest checkpoint that verifies, skipping corrupt or truncated ones (each reported through
    /// <paramref name="log"/>); null when none is usable.
    /// </summary>
    public RestoredCheckpoint? LoadLatest(CheckpointTargets targets, Action<string>? log = null)
    {
        foreach (var path in List())
        {
            try
            {
                ReadSections(path); // verify before touching any target
            }
            catch (InvalidDataException ex)
            {
                log?.Invoke($"skipping checkpoint: {ex.Message}");
                continue;
            }
            return Load(path, targets);
        }
        return null;
    }

    [GeneratedRegex(@"^epoch-(\d+)\.ckpt$")]
    private static partial Regex FileName();
}
