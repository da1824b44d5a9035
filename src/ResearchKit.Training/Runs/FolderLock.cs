using System.Diagnostics;
using System.Text.Json;
using ResearchKit.Training.Config;

namespace ResearchKit.Training.Runs;

/// <summary>Who holds a <see cref="FolderLock"/> (written next to the lock file, read by the process that is refused).</summary>
/// <param name="Pid">Process id of the holder.</param>
/// <param name="Host">Host name of the holder.</param>
/// <param name="Command">The holder's command line (for the refusal message).</param>
/// <param name="StartedUtc">When the lock was taken.</param>
public sealed record LockHolder(int Pid, string Host, string Command, DateTimeOffset StartedUtc)
{
    /// <summary>"pid 123 on host x since 10:02:03 UTC (researchkit run …)".</summary>
    public override string ToString() =>
        $"pid {Pid} on host {Host} since {StartedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({Command})";
}

/// <summary>A writer already holds the lock of a folder.</summary>
public sealed class FolderLockedException(string folder, LockHolder? holder)
    : IOException($"'{folder}' is in use by {holder?.ToString() ?? "another process (holder unknown)"}; " +
        "wait for it to finish or stop it, then run again.")
{
    /// <summary>The locked folder.</summary>
    public string Folder { get; } = folder;

    /// <summary>The holder as it recorded itself, or null when its record could not be read.</summary>
    public LockHolder? Holder { get; } = holder;
}

/// <summary>
/// An exclusive writer lock on a folder (a run folder, or one shard of an experiment folder). The lock is an OS file lock
/// (.NET takes <c>flock(LOCK_EX)</c> for <see cref="FileShare.None"/> on Unix) on <c>.NAME.lock</c> inside the folder, so the
/// kernel releases it when the holder dies however it dies: a lock left by a killed process is stale by construction
/// and is taken over, with a message naming the previous holder. The holder (pid, host, command) is recorded in
/// <c>.NAME.lock.json</c> for the message a refused writer prints. The lock file itself is never deleted: deleting it would
/// let a waiter lock the old inode while a newcomer locks a new one.
/// </summary>
public sealed class FolderLock : IDisposable
{
    /// <summary>Default lock name (<c>.run.lock</c> / <c>.run.lock.json</c>): a run folder's writer.</summary>
    public const string DefaultName = "run";

    private readonly FileStream stream;
    private readonly string holderPath;

    private FolderLock(string folder, FileStream stream, string holderPath)
    {
        Folder = folder;
        this.stream = stream;
        this.holderPath = holderPath;
    }

    /// <summary>The locked folder (absolute).</summary>
    public string Folder { get; }

    /// <summary>True for the files a lock keeps in its folder (ignored when deciding whether a folder holds anything).</summary>
    public static bool IsLockFile(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith('.') && (name.EndsWith(".lock", StringComparison.Ordinal) || name.EndsWith(".lock.json", StringComparison.Ordinal));
    }

    /// <summary>
    /// Takes the lock <paramref name="name"/> of <paramref name="folder"/> (created if missing), or throws at once when
    /// another process holds it.
    /// </summary>
    /// <param name="folder">The folder to lock.</param>
    /// <param name="name">Lock name, a plain file-name part (several locks may share a folder, e.g. one per shard).</param>
    /// <param name="log">Receives "took over a stale lock of …" when a dead holder's record is found.</param>
    /// <exception cref="FolderLockedException">Another process holds the lock; the message names it (pid, host, command).</exception>
    public static FolderLock Acquire(string folder, string name = DefaultName, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"lock name must be a plain file-name part; got '{name}'.", nameof(name));
        var full = Path.GetFullPath(folder);
        Directory.CreateDirectory(full);
        var lockPath = Path.Combine(full, "." + name + ".lock");
        var holderPath = Path.Combine(full, "." + name + ".lock.json");
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            throw new FolderLockedException(full, AwaitHolder(holderPath));
        }
        // We hold the OS lock; a record left behind belongs to a process that died without releasing it.
        if (ReadHolder(holderPath) is { } stale)
            log?.Invoke($"took over the stale lock of {full} from {stale} (that process is gone)");
        var me = new LockHolder(Environment.ProcessId, Environment.MachineName, CommandLine(), DateTimeOffset.UtcNow);
        AtomicFile.WriteAllText(holderPath, JsonSerializer.Serialize(me, TrainingConfigJson.Options));
        return new FolderLock(full, stream, holderPath);
    }

    /// <summary>The recorded holder of lock <paramref name="name"/> of <paramref name="folder"/>, or null when none is recorded.</summary>
    public static LockHolder? Holder(string folder, string name = DefaultName) =>
        ReadHolder(Path.Combine(Path.GetFullPath(folder), "." + name + ".lock.json"));

    // The holder writes its record just after it takes the lock: give a writer refused in that instant a moment to see it.
    private static LockHolder? AwaitHolder(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            if (ReadHolder(path) is { } holder || DateTime.UtcNow > deadline) return ReadHolder(path);
            Thread.Sleep(50);
        }
    }

    private static LockHolder? ReadHolder(string path)
    {
        try { return JsonSerializer.Deserialize<LockHolder>(File.ReadAllText(path), TrainingConfigJson.Options); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    private static string CommandLine()
    {
        var args = Environment.GetCommandLineArgs();
        var exe = Path.GetFileName(Process.GetCurrentProcess().MainModule?.FileName ?? args.FirstOrDefault() ?? "?");
        var line = string.Join(' ', new[] { exe }.Concat(args.Skip(1)));
        return line.Length <= 160 ? line : line[..157] + "...";
    }

    /// <summary>Removes the holder record, then releases the OS lock.</summary>
    public void Dispose()
    {
        try { File.Delete(holderPath); } catch (IOException) { }
        stream.Dispose();
    }
}
