using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// Trainable stand-in for a frozen backbone whose features were cached: <c>Linear(in, hidden)</c> → BatchNorm1d →
/// ReLU on (N, in) vectors. The <see cref="EmbeddingHead"/> on top projects to D (2-d inputs skip pooling).
/// </summary>
public sealed class FeatureMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly StableBatchNorm bn1;

    /// <summary>Creates the MLP for <paramref name="inputDim"/>-dimensional cached features.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive dimension.</exception>
    public FeatureMlp(int inputDim, int hiddenDim = 1024) : base(nameof(FeatureMlp))
    {
        if (inputDim <= 0) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "Expected a positive input dimension.");
        if (hiddenDim <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenDim), hiddenDim, "Expected a positive hidden dimension.");
        fc1 = nn.Linear(inputDim, hiddenDim);
        bn1 = StableBatchNorm.For1d(hiddenDim);
        InputDim = inputDim;
        FeatureDim = hiddenDim;
        RegisterComponents();
    }

    /// <summary>Dimension of the cached features.</summary>
    public int InputDim { get; }

    /// <summary>Output dimension.</summary>
    public int FeatureDim { get; }

    /// <summary>(N, InputDim) → (N, FeatureDim).</summary>
    /// <exception cref="ArgumentException">The input is not (N, InputDim).</exception>
    public override Tensor forward(Tensor features)
    {
        if (features.dim() != 2 || features.shape[1] != InputDim)
            throw new ArgumentException($"Expected features of shape (N, {InputDim}); got ({string.Join(", ", features.shape)}).", nameof(features));
        return nn.functional.relu(bn1.forward(fc1.forward(features)));
    }
}
