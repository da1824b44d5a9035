using System.Diagnostics;
using System.Globalization;
using ResearchKit.Losses;
using ResearchKit.Metrics;
using ResearchKit.Metrics.Knn;
using ResearchKit.Similarity;
using ResearchKit.Training;
using ResearchKit.Training.Models;
using ResearchKit.Training.Optimization;
using static TorchSharp.torch;

namespace ResearchKit.Benchmarks;

/// <summary>
/// `peers`: the kit and its PyTorch peer (bench/peers/peers.py) back to back, row by row, with the same shapes, the
/// same timing protocol (warm-up, median of the timed repeats) and the same thread count, and the ratio
/// kit / peer for times (lower is better for the kit) or peer / kit for throughputs. Each row prints the load average
/// and the process CPU seconds of both sides. The peer runs on the python given by --python (default: the
/// RESEARCHKIT_PYTHON variable, else /usr/bin/python3, Debian's, where python3-torch lives); rows are printed without
/// a peer, with the reason, when python or torch is missing.
/// Rows without a PyTorch peer take their reference from the kit itself: the SOP evaluation beside the bare block
/// products that bound it (all N² pairs, and the upper triangle, the floor of exact same-set search), and the README's
/// main command (Table I at <c>default</c>) with its wall time alone.
/// Options: --only pa,cp-pa,glyph,glyph-cp,resnet50,bn-inception,sop,sop-all-pairs,sop-triangle,table1
/// --iters-scale F (multiplies every row's repeats) --python PATH.
/// </summary>
public sealed class PeersCommand : IBenchCommand
{
    private sealed record Measurement(double Value, string Unit, double CpuSeconds);

    /// <param name="Tuned">Also runs the peer as a PyTorch user would tune it (<see cref="TunedPeer"/>), so the note separates
    /// what the kit's settings win from what its kernels do.</param>
    /// <param name="Reference">Where the peer column comes from when it is not the PyTorch script: the key of a kit row
    /// (<see cref="ReferenceRows"/>) measured in its own process, e.g. the bare products that bound the evaluation.</param>
    /// <param name="NoPeer">Why the row has no peer at all (then neither the script nor a reference runs).</param>
    private sealed record Row(string Key, string Work, bool HigherIsBetter, Func<Measurement> Kit, string[] PeerArgs,
        TunedPeer? Tuned = null, string? Reference = null, string? NoPeer = null);

    /// <summary>A second run of the peer with extra script arguments and environment variables.</summary>
    /// <param name="Label">What was tuned, for the note.</param>
    private sealed record TunedPeer(string Label, string[] ExtraArgs, IReadOnlyDictionary<string, string> Environment);

    /// <summary>glibc's environment variables for the policy <see cref="NativeHeap.Configure"/> applies with mallopt.</summary>
    private static readonly Dictionary<string, string> KitHeapEnvironment = new()
    {
        ["MALLOC_MMAP_MAX_"] = "0",
        ["MALLOC_TRIM_THRESHOLD_"] = NativeHeap.TrimThresholdBytes.ToString(CultureInfo.InvariantCulture),
    };

    private static readonly string KitHeapLabel =
        $"the kit's heap policy ({string.Join(", ", KitHeapEnvironment.Select(v => $"{v.Key}={v.Value}"))})";

    // The kit's batches reach the network channels-last (DataLoader.ToBatch, grey and RGB); the tuned peer converts its batch
    // and model to torch.channels_last, which a PyTorch user has to ask for.
    private static readonly TunedPeer ChannelsLastAndKitHeap = new("channels_last batch and model, and " + KitHeapLabel, ["--channels-last"], KitHeapEnvironment);

    /// <inheritdoc />
    public string Name => "peers";

    /// <inheritdoc />
    public string Description => "kit vs PyTorch peer, row by row: PA, glyph training step, ResNet-50 / BN-Inception, SOP eval";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var only = BenchArgs.String(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        string? kitRow = BenchArgs.String(args, "--kit-row");
        double scale = double.Parse(BenchArgs.String(args, "--iters-scale", "1"), CultureInfo.InvariantCulture);
        string python = BenchArgs.String(args, "--python") ?? Environment.GetEnvironmentVariable("RESEARCHKIT_PYTHON") ?? "/usr/bin/python3";
        int Iters(int n) => Math.Max(1, (int)Math.Round(n * scale));
        var peer = new PeerScript(python);

        var rows = new List<Row>
        {
            new("pa", "Proxy Anchor fwd+bwd, N150 D512 C100, 2 threads", false,
                () => LossStep(cp: false, threads: 2, Iters(200)), ["pa", "--threads", "2", "--iters", $"{Iters(200)}", "--warmup", "20"]),
            new("cp-pa", "CP + PA fwd+bwd, N150 D512 C100 K3 M30, queue full, 2 threads", false,
                () => LossStep(cp: true, threads: 2, Iters(200)), ["cp-pa", "--threads", "2", "--iters", $"{Iters(200)}", "--warmup", "20"]),
            new("glyph", "default profile step: glyph-cnn-small + head D64 + PA + AdamW, batch 64, 1 thread", true,
                () => GlyphStep(batch: 64, Iters(30), cp: false), ["glyph-step", "--threads", "1", "--batch", "64", "--iters", $"{Iters(30)}", "--warmup", "3"], ChannelsLastAndKitHeap),
            new("glyph-cp", "default profile step: glyph-cnn-small + head D64 + CP + PA + AdamW, batch 64, 1 thread", true,
                () => GlyphStep(batch: 64, Iters(30), cp: true), ["glyph-step", "--cp", "--threads", "1", "--batch", "64", "--iters", $"{Iters(30)}", "--warmup", "3"], ChannelsLastAndKitHeap),
            new("resnet50", "ResNet-50 + head D512 + PA fwd+bwd, 224 px, batch 32, 2 threads", true,
                () => BackboneStep(BackboneRegistry.ResNet50, Iters(3)), ["backbone", "--name", "resnet50", "--threads", "2", "--batch", "32", "--iters", $"{Iters(3)}", "--warmup", "1"], ChannelsLastAndKitHeap),
            new("bn-inception", "BN-Inception + head D512 + PA fwd+bwd, 224 px, batch 32, 2 threads", true,
                () => BackboneStep(BackboneRegistry.BNInception, Iters(3)), ["backbone", "--name", "bn-inception", "--threads", "2", "--batch", "32", "--iters", $"{Iters(3)}", "--warmup", "1"], ChannelsLastAndKitHeap),
            new("sop", "SOP-shaped eval 60,502 x 512 (kit: all metrics; peer: P@1, R-Prec, MAP@R)", false,
                () => SopEvaluation(iters: 1), ["sop-eval", "--threads", "2", "--iters", "1"]),
            new("sop-all-pairs", "same kit eval vs bare products of all N^2 pairs (peer column: those products, kit blocks)", false,
                () => SopEvaluation(Iters(3)), [], Reference: "all-pairs-floor"),
            new("sop-triangle", "same kit eval vs bare upper-triangle products, the floor of exact same-set search", false,
                () => SopEvaluation(Iters(3)), [], Reference: "triangle-floor"),
            new("table1", "README main command: researchkit run table1 --profile default (3 seeds x 3 variants)", false,
                () => ReadmeMainCommand(), [], NoPeer: "no peer: the paper's code trains on GPUs; wall time on this machine"),
        };
        var referenceRows = new Dictionary<string, Func<Measurement>>
        {
            ["triangle-floor"] = () => SopFloor(sameSet: true, Iters(3)),
            ["all-pairs-floor"] = () => SopFloor(sameSet: false, Iters(3)),
        };
        if (kitRow is not null)
        {
            // Child mode: one kit row in its own process, so that a native crash costs only that row.
            var measured = referenceRows.TryGetValue(kitRow, out var reference) ? reference() : rows.Single(r => r.Key == kitRow).Kit();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {measured.Value:G6} {measured.Unit} cpu={measured.CpuSeconds:F2}"));
            return 0;
        }
        Console.WriteLine($"peer: {peer.Describe()}");
        Console.WriteLine($"{"work",-84} {"kit",14} {"peer",14} {"ratio",7}  notes");
        foreach (var row in rows)
        {
            if (only is not null && !only.Contains(row.Key)) continue;
            string loadBefore = LoadAverage();
            var (kit, kitNote) = ResultProcess.Run(KitCommand(), ["peers", "--kit-row", row.Key, "--iters-scale", scale.ToString(CultureInfo.InvariantCulture)]);
            var (other, note) = row.NoPeer is not null ? (null, row.NoPeer)
                : row.Reference is not null ? ResultProcess.Run(KitCommand(), ["peers", "--kit-row", row.Reference])
                : peer.Run(row.PeerArgs);
            string? tunedNote = null;
            if (row.Tuned is { } tuning && other is not null)
            {
                var (tuned, why) = peer.Run([.. row.PeerArgs, .. tuning.ExtraArgs], tuning.Environment);
                tunedNote = $"peer with {tuning.Label}: " + (tuned is null ? why : $"{Format(tuned)}, ratio {Ratio(row, kit, tuned)}");
            }
            string ratio = Ratio(row, kit, other);
            var notes = new[] { kitNote is null ? null : "kit " + kitNote, note, tunedNote }.Where(n => n is not null);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Work,-84} {(kit is null ? "failed" : Format(kit)),14} {(other is null ? (row.NoPeer is null ? "skipped" : "-") : Format(other)),14} {ratio,7}  CPU s kit {kit?.CpuSeconds:F1}" +
                $" / peer {other?.CpuSeconds:F1}; load {loadBefore} -> {LoadAverage()}{string.Concat(notes.Select(n => "; " + n))}"));
        }
        Console.WriteLine("ratio: kit time / peer time for ms and s rows, peer img/s / kit img/s for throughput rows (< 1 = kit faster)");
        return 0;
    }

    private static string Ratio(Row row, Measurement? kit, Measurement? peer) =>
        peer is null || kit is null ? "-"
            : (row.HigherIsBetter ? peer.Value / kit.Value : kit.Value / peer.Value).ToString("F2", CultureInfo.InvariantCulture);

    private static string Format(Measurement m) => string.Create(CultureInfo.InvariantCulture, $"{m.Value:G4} {m.Unit}");

    /// <summary>Median seconds of <paramref name="step"/> after <paramref name="warmup"/> runs, and the CPU seconds of the timed runs.</summary>
    private static (double Seconds, double Cpu) Time(Action step, int iters, int warmup)
    {
        for (int i = 0; i < warmup; i++) step();
        var seconds = new double[iters];
        double cpu0 = Cpu();
        for (int i = 0; i < iters; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            step();
            seconds[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(seconds);
        return (seconds[iters / 2], Cpu() - cpu0);
    }

    private static CalibrateProxyObjective FullQueueCp(int dim, Generator? g)
    {
        var cp = CalibrateProxyObjective.Create(100, dim, new ProxyAnchorLoss(), new CalibrateProxyOptions { StartEpoch = 0 }, generator: g);
        for (int i = 0; i < 2 * cp.Options.QueuePerClass; i++) cp.Center.Enqueue(randn(new long[] { 100, dim }, generator: g), arange(100));
        return cp;
    }

    /// <summary>Loss forward + backward at N 150, D 512, C 100: PA on the plain proxy head, or CP + PA with a full queue.</summary>
    private static Measurement LossStep(bool cp, int threads, int iters)
    {
        set_num_threads(threads);
        using var scope = NewDisposeScope();
        var g = new Generator(0);
        var x = randn(new long[] { 150, 512 }, generator: g).requires_grad_(true);
        var labels = randint(100, new long[] { 150 }, generator: g);
        using var objective = cp ? FullQueueCp(512, g) : null;
        var head = objective?.Head ?? ProxySimilarity.ForProxyAnchor(100, 512, 1, generator: g);
        var loss = new ProxyAnchorLoss();
        var (seconds, cpu) = Time(() =>
        {
            using var s = NewDisposeScope();
            (objective is null ? loss.Compute(head.call(x), labels) : objective.Step(x, labels, epoch: 1).Loss).Total.backward();
            x.grad?.zero_();
            head.Proxies.grad?.zero_();
        }, iters, warmup: 20);
        return new Measurement(seconds * 1e3, "ms", cpu);
    }

    /// <summary>One training step as the trainer takes it: forward, PA on the proxy head, backward, AdamW (three groups).</summary>
    private static Action TrainingStep(EmbeddingNetwork model, ProxyObjectiveModule objective, Tensor images, Tensor labels, bool optimize)
    {
        var optimizer = optimize ? OptimizerFactory.AdamW(ParameterGroups.From(model, objective), lr: 1e-3, weightDecay: 1e-4).Optimizer : null;
        var parameters = model.parameters().Concat(objective.parameters()).ToList();
        return () =>
        {
            using var s = NewDisposeScope();
            optimizer?.zero_grad();
            objective.call(model.forward(images), labels, new ObjectiveStep(1)).Total.backward();
            if (optimizer is not null) optimizer.step();
            else foreach (var p in parameters) p.grad?.zero_();
        };
    }

    private static Measurement GlyphStep(int batch, int iters, bool cp)
    {
        set_num_threads(1);
        manual_seed(0);
        var (backbone, spec) = BackboneRegistry.Default.Create(BackboneRegistry.GlyphCnnSmall);
        using var model = new EmbeddingNetwork(backbone, spec.FeatureDim, new EmbeddingHeadOptions { EmbeddingSize = 64 });
        model.train();
        // libtorch runs the whole glyph CNN channels-last on this layout (its 2×2 max pooling is 9× faster there than on
        // NCHW planes); a contiguous randn(B, 1, H, W) measured a step the trainer never runs.
        using var images = LoaderLayoutBatch(batch, 1, 32);
        using var labels = randint(100, new long[] { batch });
        using var cpObjective = cp ? FullQueueCp(64, null) : null;
        using var paObjective = cp ? null : new ProxyObjective(ProxySimilarity.ForProxyAnchor(100, 64), new ProxyAnchorLoss());
        var step = cpObjective is not null
            ? TrainingStep(model, cpObjective, images, labels, optimize: true)
            : TrainingStep(model, paObjective!, images, labels, optimize: true);
        var (seconds, cpu) = Time(step, iters, warmup: 3);
        return new Measurement(batch / seconds, "img/s", cpu);
    }

    /// <summary>
    /// A random batch as DataLoader.ToBatch hands it to the trainer: (B, H, W, C) permuted to (B, C, H, W), i.e. channels-last
    /// strides, which libtorch follows in the convolutions (ResNet-50 runs an NCHW copy, see <see cref="ResNet50.forward"/>).
    /// </summary>
    private static Tensor LoaderLayoutBatch(int batch, int channels, int size)
    {
        // The view keeps the storage alive; only this handle goes.
        using var pixels = randn(batch, size, size, channels);
        return pixels.permute(0, 3, 1, 2);
    }

    private static Measurement BackboneStep(string name, int iters)
    {
        set_num_threads(2);
        manual_seed(0);
        var (backbone, spec) = BackboneRegistry.Default.Create(name);
        using var model = new EmbeddingNetwork(backbone, spec.FeatureDim, new EmbeddingHeadOptions { EmbeddingSize = 512 });
        model.train();
        using var objective = new ProxyObjective(ProxySimilarity.ForProxyAnchor(100, 512), new ProxyAnchorLoss());
        using var images = LoaderLayoutBatch(32, 3, 224);
        using var labels = randint(100, new long[] { 32 });
        var (seconds, cpu) = Time(TrainingStep(model, objective, images, labels, optimize: false), iters, warmup: 1);
        return new Measurement(32 / seconds, "img/s", cpu);
    }

    /// <summary>SOP-shaped evaluation, all metrics: the median of <paramref name="iters"/> after a warm-up on a slice.
    /// One run (the first row) is what a training process's first evaluation costs; the floor rows compare medians of
    /// warm runs on both sides, each side in its own process.</summary>
    private static Measurement SopEvaluation(int iters)
    {
        set_num_threads(2);
        using var scope = NewDisposeScope();
        var (embeddings, labels) = SopEvalCommand.SyntheticSop(60502, 512, 11316, 2.5, 0);
        if (iters > 1)
            using (var warmEmbeddings = embeddings.narrow(0, 0, 4000)) using (var warmLabels = labels.narrow(0, 0, 4000))
                RetrievalEvaluator.Evaluate(warmEmbeddings, warmLabels, RetrievalOptions.Sop);
        var (seconds, cpu) = Time(() => RetrievalEvaluator.Evaluate(embeddings, labels, RetrievalOptions.Sop), iters, warmup: 0);
        return new Measurement(seconds, "s", cpu);
    }

    /// <summary>Bare block products of the same scan as <see cref="SopEvaluation"/> (same normalised data, block edge and
    /// workers): the upper triangle with its diagonal blocks (<paramref name="sameSet"/>) or all N² pairs; median of
    /// <paramref name="iters"/> after a warm-up on a slice.</summary>
    private static Measurement SopFloor(bool sameSet, int iters)
    {
        set_num_threads(2);
        using var scope = NewDisposeScope();
        var (embeddings, _) = SopEvalCommand.SyntheticSop(60502, 512, 11316, 2.5, 0);
        var normalized = ExactCosineKnn.Normalize(embeddings);
        int workers = get_num_threads();
        int chunk = ChunkSizePolicy.Default(4, workers);
        using (var warm = normalized.narrow(0, 0, 4000)) BlockedKnnScan.ProductsOnly(warm, sameSet ? null : warm, chunk, workers);
        var (seconds, cpu) = Time(() => BlockedKnnScan.ProductsOnly(normalized, sameSet ? null : normalized, chunk, workers), iters, warmup: 0);
        return new Measurement(seconds, "s", cpu);
    }

    /// <summary>
    /// The README's main command as users run it: the installed <c>researchkit</c> (RESEARCHKIT_CLI, else
    /// <c>.tools/researchkit</c> above this program, which <c>bash scripts/setup.sh</c> installs) trains Table I at the
    /// <c>default</c> profile into a fresh folder, deleted afterwards. CPU seconds are those of the command and its
    /// worker processes.
    /// </summary>
    private static Measurement ReadmeMainCommand()
    {
        string cli = Environment.GetEnvironmentVariable("RESEARCHKIT_CLI") is { Length: > 0 } set && set != "off" ? set
            : FindAbove(Path.Combine(".tools", "researchkit"))
              ?? throw new FileNotFoundException("no researchkit command: run bash scripts/setup.sh (installs .tools/researchkit) or set RESEARCHKIT_CLI");
        string output = Path.Combine(Path.GetTempPath(), "researchkit-bench-table1-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            double cpu0 = ChildrenCpu();
            long t0 = Stopwatch.GetTimestamp();
            var (_, error) = ResultProcess.Capture(cli, ["run", "table1", "--profile", "default", "--out", output]);
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (error is not null) throw new InvalidOperationException($"{cli} run table1 --profile default: {error}");
            return new Measurement(seconds, "s", ChildrenCpu() - cpu0);
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    private static string? FindAbove(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        return null;
    }

    /// <summary>CPU seconds of this process's waited-for descendants (utime + stime of children, /proc/self/stat fields
    /// 16–17, in clock ticks of 1/100 s on Linux).</summary>
    private static double ChildrenCpu()
    {
        if (!File.Exists("/proc/self/stat")) return 0;
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // fields from 3 on; the name may hold spaces
        return (long.Parse(fields[16 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[17 - 3], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>bench/peers/peers.py on a given python; <see cref="Run"/> returns null with the reason when it cannot run.</summary>
    private sealed class PeerScript(string python)
    {
        private readonly string? script = FindAbove(Path.Combine("bench", "peers", "peers.py"));
        private string? unavailable;

        /// <summary>The peer's torch version and BLAS, or why it is skipped.</summary>
        public string Describe()
        {
            var (output, error) = Invoke(["check"]);
            if (error is not null) unavailable = error;
            return error ?? output.Trim();
        }

        public (Measurement? Result, string? Note) Run(string[] args, IReadOnlyDictionary<string, string>? environment = null)
        {
            if (unavailable is not null) return (null, "peer skipped: " + unavailable);
            if (script is null) return (null, "peer skipped: bench/peers/peers.py not found above " + AppContext.BaseDirectory);
            var (result, note) = ResultProcess.Run(python, [script, .. args], environment);
            return (result, note is null ? null : "peer " + note);
        }

        private (string Output, string? Error) Invoke(string[] args)
        {
            if (script is null) return ("", "bench/peers/peers.py not found above " + AppContext.BaseDirectory);
            if (python.Contains('/') && !File.Exists(python)) return ("", $"no python at {python} (set --python or RESEARCHKIT_PYTHON)");
            var (output, error) = ResultProcess.Capture(python, [script, .. args]);
            return error is not null && error.Contains("No module named 'torch'")
                ? ("", $"torch is not installed for {python} (apt-get install python3-torch libopenblas0-pthread)")
                : (output, error);
        }
    }

    /// <summary>This bench program as a command line: the apphost, or dotnet plus this assembly.</summary>
    private static string[] KitCommand()
    {
        string host = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(host) == "dotnet" ? [host, typeof(PeersCommand).Assembly.Location] : [host];
    }

    /// <summary>Runs a child process that prints <c>RESULT value unit cpu=seconds</c>; other output lines become notes.</summary>
    private static class ResultProcess
    {
        public static (Measurement? Result, string? Note) Run(string[] command, IEnumerable<string> args) => Run(command[0], [.. command[1..], .. args]);

        public static (Measurement? Result, string? Note) Run(string file, string[] args, IReadOnlyDictionary<string, string>? environment = null)
        {
            var (output, error) = Capture(file, args, environment);
            if (error is not null) return (null, "failed: " + error);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var result = lines.LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
            if (result is null) return (null, "printed no RESULT line");
            var parts = result.Split(' ');
            var m = new Measurement(double.Parse(parts[1], CultureInfo.InvariantCulture), parts[2],
                double.Parse(parts[3]["cpu=".Length..], CultureInfo.InvariantCulture));
            var notes = lines.Where(l => !l.StartsWith("RESULT ", StringComparison.Ordinal) && !l.Contains("NNPACK")).ToList();
            return (m, notes.Count == 0 ? null : string.Join("; ", notes));
        }

        /// <summary>Standard output, or the error: exit status (with the signal for 128 + n) and the last stderr line.</summary>
        public static (string Output, string? Error) Capture(string file, string[] args, IReadOnlyDictionary<string, string>? environment = null)
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
            try
            {
                using var process = Process.Start(info)!;
                var stderr = process.StandardError.ReadToEndAsync();
                string stdout = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode == 0) return (stdout, null);
                string last = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => !l.Contains("NNPACK"))?.Trim() ?? "";
                string signal = process.ExitCode > 128 ? $" (signal {process.ExitCode - 128}{(process.ExitCode == 136 ? ", SIGFPE" : "")})" : "";
                return ("", $"exit {process.ExitCode}{signal}{(last.Length == 0 ? "" : ": " + last)}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return ("", $"cannot start {file}: {e.Message}");
            }
        }
    }
}
