using System.Diagnostics;

namespace ResearchKit.Cli.Tests;

/// <summary>
/// The kit's scale-out path on a real Slurm (#12): a single-node cluster on localhost (scripts/slurm-local.sh: munged,
/// slurmctld, slurmd from Debian's slurm-wlm 22.05, proctrack/linuxproc, no cgroups), the documented
/// <c>sbatch --array=0-3 scripts/slurm-experiment.sh table1 smoke</c> on the CPU, then <c>report</c>: the merged table must
/// equal a non-sharded run's. Where the cluster cannot come up, the test fails with the daemons' own error (no skip).
/// </summary>
public class SlurmArrayTests
{
    [Fact]
    public void A_four_task_array_of_table1_smoke_reports_the_same_table_as_one_process()
    {
        using var dir = new TempDir();
        var cluster = dir.File("cluster");
        var start = Shell(["bash", "scripts/slurm-local.sh", "start", cluster], TimeSpan.FromMinutes(3));
        Assert.True(start.ExitCode == 0, $"the local Slurm cluster did not come up:\n{start}");
        var env = new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf"), ["OUT"] = dir.File("sharded") };
        try
        {
            var single = Cli.Run(["run", "table1", "--profile", "smoke", "--out", dir.File("single")], TimeSpan.FromMinutes(10));
            Assert.True(single.ExitCode == 0, single.ToString());

            var submit = Shell(["sbatch", "--parsable", "--array=0-3", $"--output={dir.Path}/slurm-%A_%a.out",
                "scripts/slurm-experiment.sh", "table1", "smoke"], TimeSpan.FromMinutes(1), env);
            Assert.True(submit.ExitCode == 0, submit.ToString());
            var job = submit.Stdout.Trim().Split(';')[0];
            var states = WaitForArray(job, env, TimeSpan.FromMinutes(15), dir.Path);
            Assert.True(states.All(s => s.Contains("JobState=COMPLETED") && s.Contains("ExitCode=0:0")),
                $"array tasks did not all complete:\n{string.Join("\n", states)}\n{Logs(dir.Path)}");
            Assert.Contains("shard 3/4 owns none of the 3 runs", Logs(dir.Path));   // the empty task succeeded

            var report = Cli.Run(["report", Path.Combine(dir.File("sharded"), "table1-smoke")], TimeSpan.FromMinutes(2));
            Assert.True(report.ExitCode == 0, report.ToString());
            Assert.DoesNotContain("missing", report.Stdout + report.Stderr);
            Assert.Equal(File.ReadAllText(Path.Combine(dir.File("single"), "table1-smoke", "table.csv")),
                File.ReadAllText(Path.Combine(dir.File("sharded"), "table1-smoke", "table.csv")));
        }
        finally
        {
            Shell(["bash", "scripts/slurm-local.sh", "stop", cluster], TimeSpan.FromMinutes(1));
        }
    }

    // Polls squeue until the array has left the queue, then reads each task's final state (kept by slurmctld for
    // MinJobAge, 300 s by default; the cluster has no accounting database).
    private static List<string> WaitForArray(string job, Dictionary<string, string> env, TimeSpan timeout, string logs)
    {
        var sw = Stopwatch.StartNew();
        while (Shell(["squeue", "-h", "-j", job], TimeSpan.FromMinutes(1), env).Stdout.Trim().Length > 0)
        {
            if (sw.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"array {job} still queued after {timeout}\n{Logs(logs)}");
            Thread.Sleep(2000);
        }
        var show = Shell(["scontrol", "-o", "show", "job", job], TimeSpan.FromMinutes(1), env);
        var tasks = show.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        Assert.True(tasks.Count == 4, show.ToString());
        return tasks.Select(t => string.Join(' ', t.Split(' ').Where(f => f.StartsWith("JobId=") || f.StartsWith("ArrayTaskId=") ||
            f.StartsWith("JobState=") || f.StartsWith("ExitCode=") || f.StartsWith("Reason=")))).ToList();
    }

    private static string Logs(string folder) => string.Join("\n", Directory.GetFiles(folder, "slurm-*.out").Order()
        .Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    private static CliResult Shell(string[] command, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        using var p = Cli.StartProcess(command[0], command[1..], env: env);
        return p.Wait(timeout);
    }
}
