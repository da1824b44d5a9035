using Plotly.NET;
using ResearchKit.Notebooks.Charts;
using ResearchKit.Training.Experiments;

namespace ResearchKit.Notebooks.Cells;

/// <summary>
/// What notebook 07 (which reading of CP reproduces the paper) does: run or reload the reading study (<see cref="CpStudy"/>)
/// for some readings and claims at a profile, judge it (<see cref="CpStudyVerdict"/>), and draw the verdicts.
/// </summary>
public static class StudyCells
{
    // The study experiments each claim reads (claims iv and v compare with study-i's PA rows at 0 % noise).
    private static readonly IReadOnlyDictionary<string, string[]> ExperimentsOf = new Dictionary<string, string[]>
    {
        ["i"] = ["study-i"], ["ii"] = ["study-ii"], ["iii"] = ["study-iii"], ["iv"] = ["study-iv", "study-i"], ["v"] = ["study-v", "study-i"],
    };

    /// <summary>The outcomes in the order the matrix colours them, and their colours (colour-blind safe: blue, vermillion, grey, white).</summary>
    public static readonly IReadOnlyList<string> Outcomes = ["holds", "fails", "inconclusive", "not run"];

    private static readonly string[] OutcomeColors = ["#56B4E9", "#D55E00", "#BBBBBB", "#FFFFFF"];

    /// <summary>
    /// Trains the study runs of <paramref name="readings"/> that <paramref name="resultsDir"/> lacks for <paramref name="claims"/>
    /// at <paramref name="profileName"/> (finished runs — also those of <c>researchkit run study-*</c> into the same root — are
    /// reused), then returns the verdicts of those readings and claims.
    /// </summary>
    /// <param name="profileName">The regime: <c>default</c> (from scratch), <c>pretrained-frozen</c>, <c>pretrained-layer4</c>, or <c>smoke</c>.</param>
    /// <param name="seeds">Seeds per row; 0 = the profile's. Verdicts need at least two.</param>
    /// <param name="resultsDir">Results root shared with <c>researchkit run</c>.</param>
    /// <param name="readings">Comma-separated reading names (<see cref="CpStudy.Readings"/>) or <c>all</c>; the primary reading's
    /// rows always run (readings that change only λ, T or the multi-proxy rule share its other rows).</param>
    /// <param name="claims">Comma-separated claims (i, ii, iii, iv, v) or <c>all</c>.</param>
    /// <param name="epochs">Cut every run to this many epochs; 0 = the profile's.</param>
    /// <param name="dataset">Another data set the profile's recipe fits; "" = the profile's.</param>
    /// <param name="log">Progress lines; null writes to the console.</param>
    /// <exception cref="ArgumentException">An unknown reading or claim; the message lists the known ones.</exception>
    public static IReadOnlyList<ClaimVerdict> RunStudy(string profileName, int seeds, string resultsDir, string readings = "all", string claims = "all",
        int epochs = 0, string dataset = "", Action<string>? log = null)
    {
        var shown = Choose(readings, CpStudy.Readings.Select(r => r.Name).ToList(), nameof(readings)).ToHashSet();
        var chosenReadings = shown.Append("primary").ToHashSet();
        var chosenClaims = Choose(claims, CpStudyVerdict.Claims.Select(c => c.Claim).ToList(), nameof(claims));
        bool Keep(string variant) => variant.Split(" | ") is [var reading, _] ? chosenReadings.Contains(reading) : true;   // baselines have no reading
        foreach (var experiment in chosenClaims.SelectMany(c => ExperimentsOf[c]).Distinct())
            ExperimentCells.RunOrLoad(experiment, profileName, seeds, resultsDir, epochs, Keep, dataset, log);
        var profile = ExperimentCells.NotebookProfile(profileName, epochs, dataset);
        var root = ExperimentCells.ResultsRoot(resultsDir, profile, epochs, dataset);
        return CpStudyVerdict.Evaluate(root, profile).Where(v => shown.Contains(v.Reading) && chosenClaims.Contains(v.Claim)).ToList();
    }

    /// <summary>The verdicts as a table (one row per claim × reading × regime): numbers, interval, verdict, every test.</summary>
    public static Microsoft.Data.Analysis.DataFrame VerdictTable(IEnumerable<ClaimVerdict> verdicts) => CpStudyVerdict.ToDataFrame(verdicts);

    /// <summary>Reading × (claim, regime) matrix coloured by verdict; hover shows the headline difference and its interval.</summary>
    public static GenericChart VerdictMatrixChart(IEnumerable<ClaimVerdict> verdicts, string? title = "Which reading of CP reproduces which claim")
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var cells = verdicts.Select(v => new VerdictCell(v.Reading, $"({v.Claim}) {v.Profile}", CpStudyVerdict.Word(v.Verdict),
            v.Headline is { } h ? $"{h.What}: {h.Difference}" : ""));
        return KitCharts.VerdictMatrix(cells, Outcomes, OutcomeColors, title);
    }

    /// <summary>
    /// The headline difference of <paramref name="claim"/> for every reading with its 95 % interval, one colour per regime
    /// (e.g. claim i: PA + s^g + L_cal − PA in R@1 points). Cells without two seeds are left out.
    /// </summary>
    /// <exception cref="ArgumentException">No verdict of that claim has a headline difference.</exception>
    public static GenericChart ClaimForest(IEnumerable<ClaimVerdict> verdicts, string claim, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var cells = verdicts.Where(v => v.Claim == claim && v.Headline is { Difference.N: >= 1 }).ToList();
        if (cells.Count == 0) throw new ArgumentException($"no verdict of claim ({claim}) has a measured difference yet.", nameof(claim));
        var head = cells[0].Headline!;
        var unit = cells[0].Metric.Scale == 100 ? " (points)" : "";
        return KitCharts.Forest(cells.Select(v => new IntervalRow(v.Profile, v.Reading, v.Headline!.Difference.Mean, v.Headline.Difference.Lower, v.Headline.Difference.Upper)),
            $"{head.What.Split(" > ")[0].Split(" ≥ ")[0]}, {cells[0].Metric.Label}{unit}", title ?? $"Claim ({claim}): difference with its 95 % interval over seeds");
    }

    private static List<string> Choose(string list, IReadOnlyList<string> known, string name)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (list.Trim() is "all" or "") return known.ToList();
        var chosen = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var unknown = chosen.Where(c => !known.Contains(c)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown {name}: {string.Join(", ", unknown)}; known: {string.Join(", ", known)} (or all).", name);
        return chosen;
    }
}
