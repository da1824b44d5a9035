using System.Text;

namespace ResearchKit.Training.Runs;

/// <summary>
/// Crash-safe file replacement: write a temporary file in the same folder, flush it to disk (fsync), then
/// <see cref="File.Move(string, string, bool)"/> over the target, so readers see either the old or the new file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix marker of temporary files (ignored by readers, removable after a crash).</summary>
    public const string TempMarker = ".tmp-";

    /// <summary>Writes through <paramref name="write"/> and atomically replaces <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, Path.GetFileName(full) + TempMarker + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Atomically writes UTF-8 text (no BOM).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => s.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>True for temporary files left by an interrupted write.</summary>
    public static bool IsTemporary(string path) => Path.GetFileName(path).Contains(TempMarker, StringComparison.Ordinal);
}
