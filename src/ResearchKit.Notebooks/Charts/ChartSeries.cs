namespace ResearchKit.Notebooks.Charts;

/// <summary>A Recall@k curve of one method: recall fractions in [0, 1] at each k, optionally ± a standard deviation over seeds.</summary>
/// <param name="Name">Legend name.</param>
/// <param name="K">The k values (ascending, ≥ 1), e.g. 1, 2, 4, 8.</param>
/// <param name="Recall">Recall@k as fractions in [0, 1].</param>
/// <param name="Std">Standard deviation over seeds at each k (fractions), or null.</param>
public sealed record RecallCurve(string Name, IReadOnlyList<int> K, IReadOnlyList<double> Recall, IReadOnlyList<double>? Std = null);

/// <summary>A line series: y over x, optionally ± a standard deviation drawn as a band.</summary>
/// <param name="Name">Legend name.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values (same length).</param>
/// <param name="Std">Band half-width at each x, or null.</param>
public sealed record CurveSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Std = null);

/// <summary>One bar of an ablation chart: a variant's mean over seeds in a group, its spread, and the paper's number.</summary>
/// <param name="Group">The x category (e.g. data set "CUB-200").</param>
/// <param name="Variant">The series (e.g. "PA + CP"); one colour per variant.</param>
/// <param name="Mean">Mean over seeds, a fraction in [0, 1].</param>
/// <param name="Std">Standard deviation over seeds (fraction), drawn as an error bar; 0 draws none.</param>
/// <param name="Paper">The paper's reported value (fraction), drawn as a marker on the bar; null for none.</param>
public sealed record AblationBar(string Group, string Variant, double Mean, double Std = 0, double? Paper = null);

/// <summary>A dashed vertical reference line on a chart (e.g. the paper's best setting of a sweep, or a start epoch).</summary>
/// <param name="X">Where, in the x axis's units.</param>
/// <param name="Label">Text beside the line's top, or null.</param>
public sealed record ReferenceLine(double X, string? Label = null);

/// <summary>One row of a forest plot: an estimate with its interval (e.g. a difference to a baseline with a 95 % CI).</summary>
/// <param name="Group">The series (one colour and marker per group, e.g. a regime).</param>
/// <param name="Label">The row (y category, e.g. a reading).</param>
/// <param name="Mean">The estimate, in the axis's units.</param>
/// <param name="Lower">Lower end of the interval (≤ Mean); NaN draws the point alone.</param>
/// <param name="Upper">Upper end of the interval (≥ Mean); NaN draws the point alone.</param>
public sealed record IntervalRow(string Group, string Label, double Mean, double Lower, double Upper);

/// <summary>One cell of a verdict matrix: a categorical outcome at (row, column).</summary>
/// <param name="Row">The row (e.g. a reading).</param>
/// <param name="Column">The column (e.g. a claim in a regime).</param>
/// <param name="Outcome">One of the matrix's outcomes (e.g. holds, fails, inconclusive, not run).</param>
/// <param name="Detail">Hover text, e.g. the difference and its interval.</param>
public sealed record VerdictCell(string Row, string Column, string Outcome, string Detail = "");
