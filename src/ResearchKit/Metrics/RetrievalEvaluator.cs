using ResearchKit.Metrics.Knn;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics;

/// <summary>
/// Retrieval evaluation in one pass over an exact cosine k-NN (spec/losses.md §6): Recall@k for any list of k,
/// P@1, R-Precision, MAP@R and optionally NMI of k-means clusters.
/// <para>
/// The neighbour lists are only as wide as the largest R (what MAP@R needs). Recall@k for k beyond that comes from the
/// rank of each query's first relevant neighbour: 1 + the number of other-label references ranked above its best
/// same-label reference, counted inside the same block loop against that best similarity (found beforehand, class by class).
/// </para>
/// </summary>
public static class RetrievalEvaluator
{
    /// <summary>Same-set evaluation: every row queries all other rows.</summary>
    /// <param name="embeddings">(N x D), float32/float64, finite, N ≥ 2.</param>
    /// <param name="labels">(N) integer class labels.</param>
    /// <param name="options">Settings; null = <see cref="RetrievalOptions"/> defaults.</param>
    /// <param name="device">Where all tensor work runs; null = the embeddings' device.</param>
    public static RetrievalResult Evaluate(Tensor embeddings, Tensor labels, RetrievalOptions? options = null, Device? device = null)
    {
        using var evaluation = EvaluateWithNeighbours(embeddings, labels, options, device);
        return evaluation.Result;
    }

    /// <summary>Separate query and reference sets (nothing excluded).</summary>
    /// <param name="queries">(Nq x D), float32/float64, finite, Nq ≥ 1.</param>
    /// <param name="queryLabels">(Nq) integer labels.</param>
    /// <param name="references">(Nr x D), same D and dtype, Nr ≥ 1.</param>
    /// <param name="referenceLabels">(Nr) integer labels.</param>
    /// <param name="options">Settings; null = defaults.</param>
    /// <param name="device">Where all tensor work runs; null = the queries' device.</param>
    public static RetrievalResult Evaluate(Tensor queries, Tensor queryLabels, Tensor references, Tensor referenceLabels,
        RetrievalOptions? options = null, Device? device = null)
    {
        using var evaluation = EvaluateWithNeighbours(queries, queryLabels, references, referenceLabels, options, device);
        return evaluation.Result;
    }

    /// <summary>As <see cref="Evaluate(Tensor, Tensor, RetrievalOptions?, Device?)"/>, also returning the neighbour lists.</summary>
    public static RetrievalEvaluation EvaluateWithNeighbours(Tensor embeddings, Tensor labels, RetrievalOptions? options = null,
        Device? device = null)
    {
        RetrievalInputGuard.Embeddings(embeddings, nameof(embeddings), minRows: 2);
        RetrievalInputGuard.Labels(labels, nameof(labels), embeddings.shape[0], nameof(embeddings));
        return Run(embeddings, labels, null, null, options ?? new RetrievalOptions(), device ?? embeddings.device);
    }

    /// <summary>As <see cref="Evaluate(Tensor, Tensor, Tensor, Tensor, RetrievalOptions?, Device?)"/>, also returning the neighbour lists.</summary>
    public static RetrievalEvaluation EvaluateWithNeighbours(Tensor queries, Tensor queryLabels, Tensor references,
        Tensor referenceLabels, RetrievalOptions? options = null, Device? device = null)
    {
        RetrievalInputGuard.Embeddings(queries, nameof(queries));
        RetrievalInputGuard.Labels(queryLabels, nameof(queryLabels), queries.shape[0], nameof(queries));
        RetrievalInputGuard.Embeddings(references, nameof(references));
        RetrievalInputGuard.Labels(referenceLabels, nameof(referenceLabels), references.shape[0], nameof(references));
        RetrievalInputGuard.SameDimension(queries, references, nameof(references));
        return Run(queries, queryLabels, references, referenceLabels, options ?? new RetrievalOptions(), device ?? queries.device);
    }

    private static RetrievalEvaluation Run(Tensor queries, Tensor queryLabels, Tensor? references, Tensor? referenceLabels,
        RetrievalOptions options, Device device)
    {
        bool sameSet = references is null;
        long nq = queries.shape[0];
        long nr = sameSet ? nq : references!.shape[0];
        long available = sameSet ? nq - 1 : nr;
        if (options.RecallKs is null) throw new ArgumentNullException(nameof(options), "options.RecallKs must not be null");
        foreach (var k in options.RecallKs) RetrievalInputGuard.NeighbourCount(k, available, nameof(options), "each options.RecallKs value");
        if (options.NeighbourCount < 0 || options.NeighbourCount > available)
            throw new ArgumentOutOfRangeException(nameof(options), options.NeighbourCount,
                $"expected options.NeighbourCount in 0..{available} (the references available to each query)");
        RetrievalInputGuard.ChunkSize(options.ChunkSize, nameof(options));
        if (options.ScanWorkers is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.ScanWorkers, "expected options.ScanWorkers >= 1 (or null for the intra-op thread count)");

        using var scope = torch.NewDisposeScope();
        var q = ExactCosineKnn.Normalize(queries.to(device));
        var ql = queryLabels.to(device).to_type(ScalarType.Int64);
        var r = sameSet ? null : ExactCosineKnn.Normalize(references!.to(device));
        var rl = sameSet ? ql : referenceLabels!.to(device).to_type(ScalarType.Int64);

        var relevantCount = BestPositive.CountRelevant(ql, rl, sameSet);
        long maxR = relevantCount.max().item<long>();
        int width = (int)Math.Min(available, Math.Max(1, Math.Max(maxR, options.NeighbourCount)));
        int workers = options.ScanWorkers ?? torch.get_num_threads();
        int chunk = options.ChunkSize ?? ChunkSizePolicy.Default((int)q.element_size(), workers);
        bool needCounts = options.RanksFromCountsOnly || options.RecallKs.Any(k => k > width);

        using var best = needCounts ? BestPositive.Find(q, ql, r ?? q, rl, sameSet, chunkBytes: 64L << 20, workers) : null;
        // Ranks beyond the largest k asked for are never read: counts may stop there.
        long cap = options.RecallKs.DefaultIfEmpty(0).Max();
        var counting = best is null ? null : new BlockedKnnScan.Counting(ql, rl, best, cap);
        var found = BlockedKnnScan.Run(q, r, chunk, width, counting, workers);

        var relevant = rl.index_select(0, found.Indices.flatten()).view(nq, width).eq(ql.unsqueeze(1));
        var (p1, rPrecision, mapAtR, scored) = RetrievalScores.Pml(relevant, relevantCount);
        var rank = RetrievalScores.FirstRelevantRank(relevant, relevantCount, found.NegativeCounts, options.RanksFromCountsOnly);
        var recall = RetrievalScores.RecallAt(rank, options.RecallKs);
        double? nmi = options.ComputeNmi ? ClusteringNmi(q, ql, options.KMeans) : null;

        var result = new RetrievalResult
        {
            PrecisionAt1 = p1, RPrecision = rPrecision, MapAtR = mapAtR, RecallAt = recall, Nmi = nmi,
            QueryCount = nq, ScoredQueryCount = scored, ReferenceCount = nr, QueryIsReference = sameSet,
        };
        var neighbours = new KnnResult(found.Indices.MoveToOuterDisposeScope(), found.Values.MoveToOuterDisposeScope());
        var lone = relevantCount.le(0).nonzero().flatten().data<long>().ToArray();
        return new RetrievalEvaluation(result, neighbours, lone);
    }

    private static double ClusteringNmi(Tensor normalized, Tensor labels, KMeansOptions options)
    {
        using var scope = torch.NewDisposeScope();
        long clusters = options.Clusters ?? torch.unique(labels).Item1.shape[0];
        using var fit = KMeans.Fit(normalized, (int)Math.Min(clusters, normalized.shape[0]), options);
        return NormalizedMutualInformation.Compute(labels, fit.Assignments);
    }
}
