using ResearchKit.Metrics;
using ResearchKit.Training.Config;
using ResearchKit.Training.Runs;

namespace ResearchKit.Training.Experiments;

/// <summary>One row of an experiment's table: a config change applied to the profile's base config.</summary>
/// <param name="Name">Row label (e.g. <c>PA + s^g + L_cal</c>).</param>
/// <param name="Apply">Derives the run config from the profile's config for a data set.</param>
public sealed record ExperimentVariant(string Name, Func<ExperimentProfile, TrainingConfig, TrainingConfig> Apply)
{
    /// <summary>A folder-safe form of <see cref="Name"/>.</summary>
    public string Slug => Slugs.Of(Name);
}

/// <summary>
/// The paper's reported numbers for an experiment, in %: per variant (the <see cref="ExperimentVariant"/> object itself, so a
/// renamed row keeps its numbers and a row of another experiment never matches), data set and metric.
/// </summary>
public sealed class PaperNumbers
{
    private readonly Dictionary<ExperimentVariant, Dictionary<(string Dataset, MetricDefinition Metric), double>> values =
        new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds the numbers the paper reports for <paramref name="variant"/> on <paramref name="dataset"/>.</summary>
    public PaperNumbers Add(string dataset, ExperimentVariant variant, params (MetricDefinition Metric, double Percent)[] numbers)
    {
        ArgumentNullException.ThrowIfNull(variant);
        if (!values.TryGetValue(variant, out var row)) values[variant] = row = [];
        foreach (var (m, v) in numbers) row[(dataset, m)] = v;
        return this;
    }

    /// <summary>The reported value in %, or null when the paper reports none for that variant, data set and metric.</summary>
    public double? Get(string dataset, ExperimentVariant variant, MetricDefinition metric) =>
        values.TryGetValue(variant, out var row) && row.TryGetValue((dataset, metric), out var v) ? v : null;

    /// <summary>No reported numbers.</summary>
    public static PaperNumbers None { get; } = new();
}

/// <summary>
/// The setting the paper found best in a sweep whose metric values it does not state (Fig. 4 gives curves, the text only
/// their best points). The sweep's variants are named <c>&lt;Sweep&gt;=&lt;value&gt;</c> (plus <see cref="VariantSuffix"/>).
/// </summary>
/// <param name="Sweep">The swept setting as the variant names spell it (<c>M</c>, <c>start</c>).</param>
/// <param name="Description">The setting in words, with its units.</param>
/// <param name="BestValues">The best values the paper reports, in the sweep's units.</param>
/// <param name="Source">Where the paper says so.</param>
/// <param name="VariantSuffix">What follows the value in the variant names (<c>/60</c> for start epochs).</param>
public sealed record PaperOptimum(string Sweep, string Description, IReadOnlyList<double> BestValues, string Source, string VariantSuffix = "")
{
    /// <summary>The variant name of one point of the sweep.</summary>
    public string Variant(double value) => $"{Sweep}={value.ToString(System.Globalization.CultureInfo.InvariantCulture)}{VariantSuffix}";
}

/// <summary>One planned training run of an experiment.</summary>
/// <param name="Experiment">Registry name of the experiment.</param>
/// <param name="Dataset">Data set the run trains on.</param>
/// <param name="Variant">Name of the table row.</param>
/// <param name="Seed">Seed of the run, 1-based.</param>
/// <param name="Config">The config the run trains with: the profile's base config for the data set and seed, changed by the variant.</param>
public sealed record PlannedRun(string Experiment, string Dataset, string Variant, int Seed, TrainingConfig Config)
{
    /// <summary>Run folder relative to the experiment's output folder.</summary>
    public string RelativePath => RunLayout.RunPath(Dataset, Slugs.Of(Variant), Seed);
}

/// <summary>A named experiment: a grid of variants × data sets × seeds, the metrics its table shows, and the paper's numbers.</summary>
/// <param name="Name">Name used on the command line (<c>table1</c>, …).</param>
/// <param name="Description">One line for <c>researchkit list</c> and the table's heading.</param>
/// <param name="Variants">Table rows, in table order.</param>
/// <param name="Metrics">Metric columns of the table.</param>
/// <param name="Paper">The paper's numbers (shown for the <c>paper</c> profile).</param>
/// <param name="PaperDatasets">Data sets at the <c>paper</c> profile when they differ from the profile's (Table IV adds SOP).</param>
/// <param name="PerEpoch">Also tabulate the per-epoch series of the metrics (Fig. 3).</param>
/// <param name="PaperOptima">For sweeps the paper reports only as "best at": the best settings it names (Fig. 4).</param>
public sealed record Experiment(string Name, string Description, IReadOnlyList<ExperimentVariant> Variants, IReadOnlyList<MetricDefinition> Metrics,
    PaperNumbers Paper, IReadOnlyList<string>? PaperDatasets = null, bool PerEpoch = false, IReadOnlyList<PaperOptimum>? PaperOptima = null)
{
    /// <summary>The row named <paramref name="name"/> (as run labels and plans record it).</summary>
    /// <exception cref="ArgumentException">No row has that name; the message lists the rows.</exception>
    public ExperimentVariant Variant(string name) => Variants.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"experiment {Name} has no variant '{name}'; its variants are {string.Join(", ", Variants.Select(v => v.Name))}.", nameof(name));

    /// <summary>The data sets at a profile (the pinned one for <see cref="ExperimentProfile.WithDataset"/>).</summary>
    public IReadOnlyList<string> Datasets(ExperimentProfile profile) =>
        profile.HasPaperNumbers && PaperDatasets is not null && !profile.DatasetPinned ? PaperDatasets : profile.Datasets;

    /// <summary>Every run at <paramref name="profile"/> with seeds 1..<paramref name="seeds"/>, in a fixed order (shards split it).</summary>
    /// <exception cref="ArgumentException"><paramref name="seeds"/> is not positive.</exception>
    public IReadOnlyList<PlannedRun> Plan(ExperimentProfile profile, int seeds)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (seeds < 1) throw new ArgumentException($"seeds must be >= 1; got {seeds}.", nameof(seeds));
        var runs = new List<PlannedRun>();
        foreach (var dataset in Datasets(profile))
            foreach (var v in Variants)
                for (int s = 1; s <= seeds; s++)
                    runs.Add(new PlannedRun(Name, dataset, v.Name, s, v.Apply(profile, profile.Base with { Dataset = dataset, Seed = s }).Validate()));
        return runs;
    }
}

/// <summary>Folder-safe names.</summary>
public static class Slugs
{
    /// <summary>Lower-case letters, digits, '.', '=' and '-' only.</summary>
    public static string Of(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '=' ? c : '-').ToArray();
        return string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}
