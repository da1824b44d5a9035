// One test at a time: TorchSharp 0.107 lets the finaliser free an implicit Scalar while libtorch still reads it, and a
// GC triggered by a parallel test's allocations is what makes that happen (docs/torchsharp-scalar-race.md; a gradient
// check failed this way once in a CI run). The kit roots the Scalars on its own hot paths; this closes the rest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
