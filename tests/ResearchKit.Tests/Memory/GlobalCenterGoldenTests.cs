using ResearchKit.Memory;
using ResearchKit.Tests.Golden;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Memory;

/// <summary>The per-class FIFO queue against cp_queue.json: counts, heads and slots exactly, entries and means closely.</summary>
public class GlobalCenterGoldenTests
{
    public static TheoryData<string, string> Cases => GoldenData.CaseNamesByDtype("cp_queue.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Queue_states_match_golden_after_every_batch(string name, string dtypeName)
    {
        var dtype = GoldenData.ParseDtype(dtypeName);
        var c = GoldenData.Load("cp_queue.json").Case(name);
        Assert.Equal("clamp", c.HString("normalize"));
        using var scope = NewDisposeScope();
        var center = new GlobalCenter(c.HInt("num_classes"), c.HInt("queue_per_class"), c.HInt("embedding_size"), dtype);
        var batches = c.Inputs.GetProperty("batches").EnumerateArray().ToList();
        var states = c.Expected.GetProperty("states").EnumerateArray().ToList();
        Assert.Equal(batches.Count, states.Count);
        var (rtol, atolRel) = dtype == ScalarType.Float64 ? (1e-12, 1e-15) : GoldenAssert.ArrayTolerance(dtype);
        for (int b = 0; b < batches.Count; b++)
        {
            center.Enqueue(GoldenJson.Tensor(batches[b].GetProperty("embeddings"), dtype), GoldenJson.Labels(batches[b].GetProperty("labels")));
            var s = states[b];
            GoldenAssert.Exact(center.Counts, s.GetProperty("counts"), $"batch {b} counts");
            GoldenAssert.Exact(center.Heads, s.GetProperty("heads"), $"batch {b} heads");
            GoldenAssert.Exact(center.NonEmpty(), s.GetProperty("nonempty"), $"batch {b} nonempty");
            // Slot positions: exactly the zero / non-zero pattern of the expected entries.
            var expectedEntries = GoldenJson.Tensor(s.GetProperty("entries"), ScalarType.Float64);
            Assert.True(center.Entries.ne(0).any(-1).cpu().eq(expectedEntries.ne(0).any(-1)).all().item<bool>(), $"batch {b}: occupied slots differ");
            GoldenAssert.Close(center.Entries, s.GetProperty("entries"), rtol, atolRel, $"batch {b} entries");
            GoldenAssert.Close(center.Means(), s.GetProperty("means"), rtol, atolRel, $"batch {b} means");
        }
    }
}
