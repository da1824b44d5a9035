using System.CommandLine;
using System.Diagnostics;
using ResearchKit.Data;

namespace ResearchKit.Cli.Commands;

/// <summary><c>researchkit data …</c>: list, inspect and render the data sets.</summary>
public static class DataCommand
{
    /// <summary>Builds the <c>data</c> command group.</summary>
    public static Command Build()
    {
        var data = new Command("data", "Data sets: list, statistics, glyph rendering, verification, data root.");
        var root = new Option<string?>("--root") { Description = $"Data root (default ${DataRoot.EnvironmentVariable} or ~/.researchkit/data)." };

        var list = new Command("list", "List the data sets.");
        list.SetAction(_ =>
        {
            foreach (var d in DatasetRegistry.Default.Entries.Select(e => e.Info))
                Console.WriteLine($"{d.Name,-14} {(d.Offline ? "offline " : "download")}  {d.Description}");
            return 0;
        });

        var name = new Argument<string>("name") { Description = "Data set name (see `data list`)." };
        var noBaseline = new Option<bool>("--no-baseline") { Description = "Skip the raw-pixel retrieval baseline." };
        var stats = new Command("stats", "Load a data set and print its split statistics and raw-pixel retrieval baseline.") { name, root, noBaseline };
        stats.SetAction(parse =>
        {
            var sw = Stopwatch.StartNew();
            var dsName = parse.GetValue(name)!;
            Infrastructure.UsageException.Resolve(() => DatasetRegistry.Info(dsName));
            var ds = DatasetRegistry.Default.Load(dsName, parse.GetValue(root));
            Console.WriteLine(ds.Statistics());
            Console.WriteLine($"loaded in {sw.Elapsed.TotalSeconds:0.00} s");
            if (!parse.GetValue(noBaseline))
            {
                sw.Restart();
                var info = DatasetRegistry.Info(dsName);
                var baseline = RawPixelBaseline.Evaluate(ds, info, dsName == "sop" ? ResearchKit.Metrics.RetrievalOptions.Sop : null);
                Console.WriteLine($"raw-pixel baseline (test split, {info.BaselineSize} px{(info.Grayscale ? " grey" : "")}): " +
                    $"{baseline} ({sw.Elapsed.TotalSeconds:0.0} s)");
            }
            return 0;
        });

        var glyphName = new Argument<string>("name") { Description = "glyphs-tiny or glyphs." };
        var render = new Command("render", "Render (or find in the cache) a glyph data set and print its manifest hash.") { glyphName, root };
        render.SetAction(parse =>
        {
            var options = parse.GetValue(glyphName) switch
            {
                "glyphs-tiny" => GlyphDatasetOptions.Tiny,
                "glyphs" => GlyphDatasetOptions.Standard,
                var other => throw new Infrastructure.UsageException($"data render expects glyphs-tiny or glyphs; got '{other}'."),
            };
            var sw = Stopwatch.StartNew();
            var r = GlyphDataset.Load(options, parse.GetValue(root));
            if (r.Warning is not null) Console.Error.WriteLine(r.Warning);
            Console.WriteLine($"{(r.FromCache ? "cached" : "rendered")} in {sw.Elapsed.TotalSeconds:0.00} s: {r.CacheDirectory}");
            Console.WriteLine($"faces {r.Manifest.Faces.Count}, images {r.Manifest.ImageCount}, manifest sha256 {r.ManifestSha256}");
            Console.WriteLine(r.Dataset.Statistics());
            return 0;
        });

        var verifyName = new Argument<string>("name") { Description = "Data set name (see `data list`)." };
        var verify = new Command("verify", "Decode every image of a data set once and list all that fail (exit 1 if any).") { verifyName, root };
        verify.SetAction(parse =>
        {
            var sw = Stopwatch.StartNew();
            var info = Infrastructure.UsageException.Resolve(() => DatasetRegistry.Info(parse.GetValue(verifyName)!));
            var ds = DatasetRegistry.Default.Load(info.Name, parse.GetValue(root));
            var sources = ds.Train.Samples.Concat(ds.Test.Samples).Select(s => s.Source).ToList();
            Console.WriteLine($"decoding {sources.Count} images of {info.Name} …");
            var bad = ImageCheck.Decode(sources, info.Grayscale, progress: n => Console.WriteLine($"  {n}/{sources.Count}"));
            foreach (var b in bad) Console.WriteLine($"bad: {b}");
            Console.WriteLine(bad.Count == 0
                ? $"all {sources.Count} images of {info.Name} decode ({sw.Elapsed.TotalSeconds:0.0} s)"
                : ImageCheck.Describe(bad, info.Name, max: 3) + $" ({sw.Elapsed.TotalSeconds:0.0} s)");
            return bad.Count == 0 ? 0 : 1;
        });

        var where = new Command("root", "Print the data root.");
        where.SetAction(_ => { Console.WriteLine(DataRoot.Default); return 0; });

        data.Subcommands.Add(list);
        data.Subcommands.Add(stats);
        data.Subcommands.Add(render);
        data.Subcommands.Add(verify);
        data.Subcommands.Add(where);
        return data;
    }
}
