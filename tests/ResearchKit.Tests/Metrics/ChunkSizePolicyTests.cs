using ResearchKit.Metrics;
using ResearchKit.Metrics.Knn;

namespace ResearchKit.Tests.Metrics;

/// <summary>The default block edge from a memory budget: clamped, a multiple of 64, fitting the budget, monotonic.</summary>
public class ChunkSizePolicyTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Budgets_below_the_smallest_block_give_the_minimum(int elementSize)
    {
        Assert.Equal(ChunkSizePolicy.MinChunk, ChunkSizePolicy.FromBudget(0, elementSize));
        Assert.Equal(ChunkSizePolicy.MinChunk, ChunkSizePolicy.FromBudget(-5, elementSize));
        Assert.Equal(ChunkSizePolicy.MinChunk, ChunkSizePolicy.FromBudget(1000, elementSize));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Huge_budgets_give_the_maximum(int elementSize) =>
        Assert.Equal(ChunkSizePolicy.MaxChunk, ChunkSizePolicy.FromBudget(long.MaxValue / 4, elementSize));

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Chunks_are_multiples_of_64_that_fit_the_budget_and_grow_with_it(int elementSize)
    {
        int previous = 0;
        for (long budget = 1L << 10; budget <= 1L << 36; budget = budget * 3 / 2)
        {
            int chunk = ChunkSizePolicy.FromBudget(budget, elementSize);
            Assert.InRange(chunk, ChunkSizePolicy.MinChunk, ChunkSizePolicy.MaxChunk);
            Assert.Equal(0, chunk % 64);
            Assert.True(chunk >= previous, $"budget {budget}: {chunk} < {previous}");
            long bytes = (long)chunk * chunk * ChunkSizePolicy.BytesPerElement(elementSize);
            if (chunk > ChunkSizePolicy.MinChunk) Assert.True(bytes <= budget, $"budget {budget}: block of {bytes} bytes");
            // The next multiple of 64 would not fit (unless clamped at the maximum).
            long next = (long)(chunk + 64) * (chunk + 64) * ChunkSizePolicy.BytesPerElement(elementSize);
            if (chunk < ChunkSizePolicy.MaxChunk) Assert.True(next > budget, $"budget {budget}: {chunk + 64} would fit too");
            previous = chunk;
        }
        Assert.Equal(ChunkSizePolicy.MaxChunk, previous);
    }

    [Fact]
    public void Wider_elements_get_smaller_blocks_for_the_same_budget()
    {
        long budget = 3L << 20;
        Assert.True(ChunkSizePolicy.FromBudget(budget, 8) < ChunkSizePolicy.FromBudget(budget, 4));
    }

    [Fact]
    public void A_non_positive_element_size_is_rejected()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ChunkSizePolicy.FromBudget(1 << 20, 0));
        Assert.Equal("elementSize", e.ParamName);
    }
}
