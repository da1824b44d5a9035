using static TorchSharp.torch;

namespace ResearchKit.Training.Models;

/// <summary>
/// Backbone followed by <see cref="EmbeddingHead"/> (losses.md §0). State-dict keys are <c>backbone.*</c> and
/// <c>head.embedding.*</c>; pretrained weights load into <see cref="Backbone"/> directly.
/// </summary>
public sealed class EmbeddingNetwork : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> backbone;
    private readonly EmbeddingHead head;

    /// <summary>Combines a backbone with output channels <paramref name="featureDim"/> and a fresh head.</summary>
    public EmbeddingNetwork(nn.Module<Tensor, Tensor> backbone, int featureDim, EmbeddingHeadOptions? headOptions = null)
        : base(nameof(EmbeddingNetwork))
    {
        this.backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        head = new EmbeddingHead(featureDim, headOptions);
        RegisterComponents();
    }

    /// <summary>The feature extractor (its parameters form the backbone parameter group).</summary>
    public nn.Module<Tensor, Tensor> Backbone => backbone;

    /// <summary>The embedding head (its parameters form the head parameter group).</summary>
    public EmbeddingHead Head => head;

    /// <summary>Images → embeddings (N, D), normalized unless the head options say otherwise.</summary>
    public override Tensor forward(Tensor images) => head.forward(backbone.forward(images));

    /// <summary>Images → embeddings, choosing per call whether to L2-normalize.</summary>
    public Tensor Forward(Tensor images, bool normalize) => head.Forward(backbone.forward(images), normalize);
}
