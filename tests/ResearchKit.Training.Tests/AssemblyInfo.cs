// Training tests seed torch's global generator and set its thread count (Determinism.Initialize), which is
// process-wide state: run them one at a time so no test consumes another's random stream.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
