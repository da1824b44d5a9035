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
        var data = new Command("data", "Data sets: list, statistics, glyph rendering, data root.");
        var root = new Option<string?>("--root") { Description = $"Data root (default ${DataRoot.EnvironmentVariable} or ~/.researchkit/data)." };

        var list = new Command("list", "List the data sets.");
        list.SetAction(_ =>
        {
            foreach (var d in DatasetRegistry.All)
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
            var ds = DatasetRegistry.Load(dsName, parse.GetValue(root));
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
                var other => throw new ArgumentException($"render expects glyphs-tiny or glyphs; got '{other}'.", "name"),
            };
            var sw = Stopwatch.StartNew();
            var r = GlyphDataset.Load(options, parse.GetValue(root));
            if (r.Warning is not null) Console.Error.WriteLine(r.Warning);
            Console.WriteLine($"{(r.FromCache ? "cached" : "rendered")} in {sw.Elapsed.TotalSeconds:0.00} s: {r.CacheDirectory}");
            Console.WriteLine($"faces {r.Manifest.Faces.Count}, images {r.Manifest.ImageCount}, manifest sha256 {r.ManifestSha256}");
            Console.WriteLine(r.Dataset.Statistics());
            return 0;
        });

        var where = new Command("root", "Print the data root.");
        where.SetAction(_ => { Console.WriteLine(DataRoot.Default); return 0; });

        data.Subcommands.Add(list);
        data.Subcommands.Add(stats);
        data.Subcommands.Add(render);
        data.Subcommands.Add(where);
        return data;
    }
}
