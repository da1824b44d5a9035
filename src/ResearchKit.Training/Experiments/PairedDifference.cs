using System.Globalization;

namespace ResearchKit.Training.Experiments;

/// <summary>
/// A difference A − B paired by seed (same seed: same initialisation, batches and label noise, so seed-to-seed variation
/// cancels), with a two-sided 95 % Student-t interval over the n pairs (n − 1 degrees of freedom).
/// </summary>
/// <param name="Differences">One difference per seed both sides ran, in seed order.</param>
public sealed record PairedDifference(IReadOnlyList<double> Differences)
{
    /// <summary>Number of pairs.</summary>
    public int N => Differences.Count;

    /// <summary>Mean difference; NaN without pairs.</summary>
    public double Mean => N == 0 ? double.NaN : Differences.Average();

    /// <summary>Half-width of the 95 % interval; NaN with fewer than two pairs (no spread to estimate).</summary>
    public double HalfWidth
    {
        get
        {
            if (N < 2) return double.NaN;
            double m = Mean, sd = Math.Sqrt(Differences.Sum(d => (d - m) * (d - m)) / (N - 1));
            return StudentT975(N - 1) * sd / Math.Sqrt(N);
        }
    }

    /// <summary>Lower end of the 95 % interval.</summary>
    public double Lower => Mean - HalfWidth;

    /// <summary>Upper end of the 95 % interval.</summary>
    public double Upper => Mean + HalfWidth;

    /// <summary>A − B for every seed in both <paramref name="a"/> and <paramref name="b"/> (seed → value); seeds on one side only are left out.</summary>
    public static PairedDifference Of(IReadOnlyDictionary<int, double> a, IReadOnlyDictionary<int, double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.Keys.Where(b.ContainsKey).Order().Select(s => a[s] - b[s]).ToList());
    }

    /// <summary>The values themselves as differences to 0 (a per-seed quantity that is already a difference, e.g. a drop).</summary>
    public static PairedDifference OfValues(IReadOnlyDictionary<int, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(values.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList());
    }

    /// <summary>The 97.5 % quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then the normal's).</summary>
    public static double StudentT975(int df)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(df, 1);
        // t_{0.975, df}, df = 1..30 (any statistics table; checked against scipy.stats.t.ppf to 3 decimals).
        ReadOnlySpan<double> t =
        [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
            2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ];
        return df <= t.Length ? t[df - 1] : 1.960;
    }

    /// <summary><c>+0.40 [+0.01, +0.79]</c> (mean and interval, two decimals; the interval is left out with one pair).</summary>
    public override string ToString()
    {
        static string F(double v) => v.ToString("+0.00;-0.00;+0.00", CultureInfo.InvariantCulture);
        if (N == 0) return "no pairs";
        return double.IsNaN(HalfWidth) ? $"{F(Mean)} (n = 1)" : $"{F(Mean)} [{F(Lower)}, {F(Upper)}]";
    }
}
