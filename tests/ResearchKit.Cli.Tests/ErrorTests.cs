namespace ResearchKit.Cli.Tests;

/// <summary>#12 items 6, 7, 8: user errors are one line with exit code 2 (command line) or 1 (run time), no stack trace.</summary>
public class ErrorTests
{
    public static TheoryData<string[], int, string> Cases => new()
    {
        { ["run", "nope"], 2, "unknown experiment 'nope'; expected one of table1" },
        { ["run", "table1", "--profile", "huge"], 2, "unknown profile 'huge'" },
        { ["run", "table1", "--shard", "4/4"], 2, "shard must be i/n with 0 <= i < n" },
        { ["run", "table1", "--bogus"], 2, "--bogus" },
        { ["run", "table1", "--jobs", "0"], 2, "jobs must be auto or a count >= 1; got '0'." },
        { ["run", "table1", "--variant", "nope"], 2, "experiment table1 has no variant 'nope'; its variants are PA (s^p only), PA + s^g, PA + s^g + L_cal." },
        { ["train", "--out", "{dir}/x"], 2, "train needs --config FILE" },
        { ["train", "--config", "{dir}/gpu.json", "--out", "{dir}/x"], 1, "gpu.json: TrainingConfig.Device must be cpu, cuda or cuda:N (e.g. cuda:1); got 'gpu'." },
        { ["train", "--config", "{dir}/cuda.json", "--out", "{dir}/x"], 1, "TrainingConfig.Device 'cuda' is not available" },
        { ["train", "--config", "{dir}/size.json", "--out", "{dir}/x"], 1, "TrainingConfig.ImageSize 8" },
        { ["train", "--config", "{dir}/missing.json", "--out", "{dir}/x"], 1, "training config file not found: '{dir}/missing.json'" },
        { ["train", "--config", "{dir}/cub.json", "--out", "{dir}/x", "--data-root", "{dir}/nodata"], 1,
            "data set 'cub' is not installed: the data root '{dir}/nodata' does not exist. It is CUB-200-2011" },
        { ["train", "--resume", "--out", "{dir}/nothing"], 1, "'{dir}/nothing' is not a run folder (no config.json)" },
        { ["report", "{dir}"], 1, "holds no experiment runs" },
        { ["eval", "--checkpoint", "{dir}/epoch-0001.ckpt"], 1, "checkpoint not found: {dir}/epoch-0001.ckpt" },
        { ["data", "verify", "mnist"], 2, "unknown data set 'mnist'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_user_error_is_one_line_naming_what_is_wrong_without_a_stack_trace(string[] args, int exitCode, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("gpu.json"), """{"device": "gpu"}""");
        File.WriteAllText(dir.File("cuda.json"), """{"device": "cuda", "dataset": "glyphs-tiny", "backbone": "glyph-cnn-small"}""");
        File.WriteAllText(dir.File("size.json"), """{"imageSize": 8, "dataset": "glyphs-tiny", "backbone": "glyph-cnn-small", "batchSize": 32}""");
        File.WriteAllText(dir.File("cub.json"), "{}");
        var argv = args.Select(a => a.Replace("{dir}", dir.Path)).ToArray();

        var r = Cli.Run(argv);

        Assert.True(exitCode == r.ExitCode, r.ToString());
        Assert.Contains(expected.Replace("{dir}", dir.Path), r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr + r.Stdout);
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
        var errorLines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:")).ToList();
        Assert.True(errorLines.Count == 1, r.ToString());
        Assert.False(Directory.Exists(dir.File("x")), "a failed start left a run folder behind");
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("gpu.json"), """{"device": "gpu"}""");
        var r = Cli.Run("train", "--config", dir.File("gpu.json"), "--out", dir.File("x"), "--verbose");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("   at ResearchKit.", r.Stderr);
    }

    [Fact]
    public void A_valid_shard_with_no_run_exits_0()
    {
        using var dir = new TempDir();
        var r = Cli.Run("run", "table1", "--profile", "smoke", "--shard", "3/4", "--out", dir.Path);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("shard 3/4 owns none of the 3 runs of table1 (smoke profile, 1 seed(s)): nothing to do.", r.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_failed_start_leaves_the_folder_retryable_with_a_corrected_device()
    {
        using var dir = new TempDir();
        var cfg = Cli.WriteQuickConfig(dir.Path, epochs: 1);
        var typo = Cli.Run("run", "table1", "--profile", "smoke", "--device", "cuda", "--out", dir.File("out"));
        Assert.True(typo.ExitCode == 1, typo.ToString());
        Assert.Contains("TrainingConfig.Device 'cuda' is not available", typo.Stderr);
        Assert.False(File.Exists(Path.Combine(dir.File("out"), "table1-smoke", "runs", "glyphs-tiny", "pa-s-p-only", "seed-1", "config.json")));
        var fixedDevice = Cli.Run("train", "--config", cfg, "--out", dir.File("run"));
        Assert.True(fixedDevice.ExitCode == 0, fixedDevice.ToString());
    }

    [Fact]
    public void Data_verify_decodes_every_image_of_a_data_set_once()
    {
        var r = Cli.Run("data", "verify", "glyphs-tiny");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("all 1680 images of glyphs-tiny decode", r.Stdout);
    }
}
