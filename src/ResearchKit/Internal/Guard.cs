using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Internal;

/// <summary>Argument checks shared by the heads, memory and losses. Each throws an ArgumentException naming the argument.</summary>
internal static class Guard
{
    /// <summary>A non-empty (N x D) floating-point batch with finite values.</summary>
    public static void Embeddings(Tensor embeddings, string name, long? expectedDim = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings, name);
        if (embeddings.dim() != 2)
            throw new ArgumentException($"expected a rank-2 tensor (N x D) but got shape [{Shape(embeddings)}]", name);
        if (!embeddings.is_floating_point())
            throw new ArgumentException($"expected a floating-point tensor (float32 or float64) but got {embeddings.dtype}", name);
        if (embeddings.shape[0] == 0)
            throw new ArgumentException("expected a non-empty batch (N >= 1) but got N = 0", name);
        if (expectedDim is long d && embeddings.shape[1] != d)
            throw new ArgumentException($"expected embedding size D = {d} but got shape [{Shape(embeddings)}]", name);
        Finite(embeddings, name);
    }

    /// <summary>All values finite (no NaN, no ±Inf), checked by <see cref="FiniteValues.All"/>. Skipped on devices
    /// without data (meta).</summary>
    public static void Finite(Tensor t, string name)
    {
        if (t.device_type == DeviceType.META) return;
        if (!FiniteValues.All(t))
            throw new ArgumentException("expected finite values but found NaN or Inf", name);
    }

    /// <summary>Rank-1 integer labels of length <paramref name="n"/> in [0, <paramref name="numClasses"/>); returns them as int64.</summary>
    public static Tensor Labels(Tensor labels, long n, long numClasses, string name)
    {
        ArgumentNullException.ThrowIfNull(labels, name);
        if (labels.dim() != 1)
            throw new ArgumentException($"expected a rank-1 tensor of N class indices but got shape [{Shape(labels)}]", name);
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool || labels.is_complex())
            throw new ArgumentException($"expected an integer tensor (int64 or int32) but got {labels.dtype}", name);
        if (labels.shape[0] != n)
            throw new ArgumentException($"expected {n} labels (one per embedding) but got {labels.shape[0]}", name);
        if (n > 0 && labels.device_type != DeviceType.META)
        {
            using var min = labels.min().to_type(ScalarType.Int64);
            using var max = labels.max().to_type(ScalarType.Int64);
            long lo = min.item<long>(), hi = max.item<long>();
            if (lo < 0 || hi >= numClasses)
                throw new ArgumentException($"expected labels in [0, {numClasses}) but found values in [{lo}, {hi}]", name);
        }
        return labels.dtype == ScalarType.Int64 ? labels.alias() : labels.to_type(ScalarType.Int64);
    }

    /// <summary>The tensor lives on the same device as the reference tensor (e.g. the proxies).</summary>
    public static void SameDevice(Tensor t, Tensor reference, string name, string referenceName)
    {
        if (t.device_type != reference.device_type || t.device_index != reference.device_index)
            throw new ArgumentException($"expected a tensor on {referenceName}'s device {reference.device} but got {t.device}", name);
    }

    /// <summary>The tensor has the same dtype as the reference tensor.</summary>
    public static void SameDtype(Tensor t, Tensor reference, string name, string referenceName)
    {
        if (t.dtype != reference.dtype)
            throw new ArgumentException($"expected dtype {reference.dtype} (the dtype of {referenceName}) but got {t.dtype}", name);
    }

    /// <summary>A finite value &gt; 0.</summary>
    public static double Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, "expected a finite value > 0");
        return value;
    }

    /// <summary>A finite value &gt;= 0.</summary>
    public static double NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, "expected a finite value >= 0");
        return value;
    }

    /// <summary>A finite value.</summary>
    public static double FiniteValue(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, "expected a finite value");
        return value;
    }

    /// <summary>An integer &gt;= 1.</summary>
    public static int AtLeastOne(int value, string name)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, "expected an integer >= 1");
        return value;
    }

    /// <summary>A defined member of the enum.</summary>
    public static T Defined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentOutOfRangeException(name, value, $"expected one of {string.Join(", ", Enum.GetNames<T>())}");
        return value;
    }

    public static string Shape(Tensor t) => string.Join(",", t.shape);
}
