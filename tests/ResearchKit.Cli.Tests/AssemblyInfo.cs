// Each test starts training processes on a 2-core machine (and one brings up a Slurm cluster): one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
