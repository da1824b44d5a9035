using System.Text.Json;
using ResearchKit.Training.Config;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Tests.Runs;

public class FolderLockTests
{
    [Fact]
    public void A_held_lock_refuses_a_second_writer_naming_pid_and_host_and_is_free_after_release()
    {
        using var dir = new TempDir();
        using (FolderLock.Acquire(dir.Path))
        {
            // A second open file description: flock conflicts exactly as with another process.
            var ex = Assert.Throws<FolderLockedException>(() => FolderLock.Acquire(dir.Path));
            Assert.Equal(Environment.ProcessId, ex.Holder!.Pid);
            Assert.Contains($"pid {Environment.ProcessId} on host {Environment.MachineName}", ex.Message);
            using (FolderLock.Acquire(dir.Path, "shard-1-of-2")) { }   // another lock name in the same folder is independent
        }
        Assert.Null(FolderLock.Holder(dir.Path));
        using (FolderLock.Acquire(dir.Path)) Assert.Equal(Environment.ProcessId, FolderLock.Holder(dir.Path)!.Pid);
    }

    [Fact]
    public void The_lock_of_a_dead_holder_is_taken_over_with_a_message_naming_it()
    {
        using var dir = new TempDir();
        // What a kill -9 leaves: the lock file (its flock released by the kernel) and the holder's record.
        File.WriteAllText(Path.Combine(dir.Path, ".run.lock"), "");
        var dead = new LockHolder(int.MaxValue - 7, "node-17", "researchkit run table1", DateTimeOffset.UtcNow.AddHours(-1));
        File.WriteAllText(Path.Combine(dir.Path, ".run.lock.json"), JsonSerializer.Serialize(dead, TrainingConfigJson.Options));
        var messages = new List<string>();

        using (FolderLock.Acquire(dir.Path, log: messages.Add))
        {
            Assert.Equal(Environment.ProcessId, FolderLock.Holder(dir.Path)!.Pid);
        }
        var m = Assert.Single(messages);
        Assert.Contains($"pid {int.MaxValue - 7} on host node-17", m);
        Assert.True(FolderLock.IsLockFile(Path.Combine(dir.Path, ".run.lock")));
        Assert.False(FolderLock.IsLockFile(Path.Combine(dir.Path, "config.json")));
    }
}
