using static TorchSharp.torch;

namespace ResearchKit.Data;

/// <summary>
/// How 8-bit pixels become model input: x = (pixel × <see cref="Scale"/> − mean) / std per channel, optionally
/// in BGR order. <see cref="ImageNet"/> is torchvision's RGB [0,1] convention; <see cref="BnInception"/> is Cadene's
/// BN-Inception convention (BGR, 0–255, mean 104/117/128, std 1).
/// </summary>
/// <param name="Mean">Per-channel mean, in output channel order (one value for grey).</param>
/// <param name="Std">Per-channel standard deviation.</param>
/// <param name="Scale">Multiplier applied to the 0–255 pixel first (1/255 or 1).</param>
/// <param name="Bgr">Reverse RGB to BGR.</param>
public sealed record Normalization(float[] Mean, float[] Std, float Scale, bool Bgr)
{
    /// <summary>torchvision ImageNet: RGB, /255, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).</summary>
    public static Normalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], 1 / 255f, false);
    /// <summary>BN-Inception (Cadene): BGR, 0–255, mean (104, 117, 128), std 1.</summary>
    public static Normalization BnInception { get; } = new([104f, 117f, 128f], [1f, 1f, 1f], 1f, true);
    /// <summary>Grey glyphs: /255, mean 0.5, std 0.5 (range −1..1).</summary>
    public static Normalization Gray { get; } = new([0.5f], [0.5f], 1 / 255f, false);
    /// <summary>Pixels in [0, 1], any channel count (raw-pixel features).</summary>
    public static Normalization ZeroOne { get; } = new([0f], [1f], 1 / 255f, false);

    /// <summary>Applies it to a float batch [B, C, H, W] holding 0–255 values in RGB (or grey) order.</summary>
    public Tensor Apply(Tensor x)
    {
        int c = (int)x.shape[1];
        if (Bgr && c == 3) x = x.flip(1);
        if (Mean.Length != 1 && Mean.Length != c) throw new ArgumentException($"normalization has {Mean.Length} channel means but the batch has {c} channels.", nameof(x));
        var shape = new long[] { 1, Mean.Length, 1, 1 };
        using var mean = tensor(Mean, dtype: ScalarType.Float32, device: x.device).view(shape);
        using var std = tensor(Std, dtype: ScalarType.Float32, device: x.device).view(shape);
        return x.mul(Scale).sub_(mean).div_(std);
    }
}
