using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResearchKit.Similarity;

/// <summary>
/// A similarity head: raw embeddings x (N x D) in, the sample-to-class similarity matrix S (N x C) out.
/// Proxy losses only see S, so any head combines with any loss.
/// </summary>
public abstract class ClassSimilarityHead : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module with its TorchSharp name.</summary>
    protected ClassSimilarityHead(string name) : base(name) { }

    /// <summary>Number of classes C (columns of S).</summary>
    public abstract int NumClasses { get; }

    /// <summary>Embedding size D expected by <see cref="nn.Module{T, TResult}.forward"/>.</summary>
    public abstract int EmbeddingSize { get; }

    /// <summary>The trainable proxies (or centres), so an optimizer can give them their own parameter group (100× lr).</summary>
    public abstract IEnumerable<Parameter> ProxyParameters();
}
