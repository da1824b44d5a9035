using System.CommandLine;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Cli.Commands;

/// <summary>
/// <c>researchkit verdict &lt;out&gt;</c>: the CP reading study's answer (issue 13) — every paper claim tested for every
/// reading, at each profile whose <c>study-*</c> folders the output root holds (docs/cp-reading-study.md).
/// </summary>
public static class VerdictCommand
{
    /// <summary>The command with its arguments, options and action, for the root command to add.</summary>
    public static Command Build()
    {
        var root = new Argument<string>("out") { Description = "The output root the study ran into (holds study-i-<profile> … study-v-<profile>)." };
        var profiles = new Option<string[]>("--profile")
        {
            Description = "Profiles (regimes) to judge; default: every profile with a study folder under the root.",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("verdict", "Test the paper's five claims for every CP reading on the study runs (study-i … study-v) and print reading x claim x regime.")
        {
            root, profiles,
        };
        cmd.SetAction(parse =>
        {
            var outRoot = parse.GetValue(root)!;
            if (!Directory.Exists(outRoot)) throw new ArgumentException($"'{outRoot}' does not exist (expected the --out root of `researchkit run study-i …`).", "out");
            var chosen = parse.GetValue(profiles) is { Length: > 0 } names
                ? names.Select(Profiles.Get).ToList()
                : Profiles.All.Where(p => CpStudy.Experiments.Any(e => Directory.Exists(ExperimentRunner.OutputFolder(outRoot, e, p)))).ToList();
            if (chosen.Count == 0)
                throw new ArgumentException($"'{outRoot}' holds no study folder (study-i-<profile> …); run the study first: researchkit run study-i --profile pretrained-frozen --out {outRoot}", "out");
            var verdicts = chosen.SelectMany(p => CpStudyVerdict.Evaluate(outRoot, p)).ToList();
            Console.Write(CpStudyVerdict.Format(verdicts));
            var csv = Path.Combine(outRoot, "study-verdict.csv");
            CpStudyVerdict.SaveCsv(verdicts, csv);
            Console.WriteLine($"\nverdicts: {csv}  (95 % Student-t intervals of differences paired by seed; rules in docs/cp-reading-study.md)");
            return 0;
        });
        return cmd;
    }
}
