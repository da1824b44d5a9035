using ResearchKit.Training;

namespace ResearchKit.Training.Tests;

// The training tests run one at a time (AssemblyInfo.cs), so no other test's GC interferes with these regions.
public class GcQuietTests
{
    [Fact]
    public void Enter_opens_one_region_that_stays_open_across_calls_and_Exit_closes_it()
    {
        GcQuiet.Exit();
        int before = GcQuiet.RegionsStarted;
        GcQuiet.Enter();
        Assert.True(GcQuiet.Active);
        int gen0 = GC.CollectionCount(0);
        var garbage = new List<object[]>();
        for (int i = 0; i < 1000; i++) garbage.Add(new object[16]);   // ~150 KB: inside the budget, no collection
        GcQuiet.Enter();                                               // still open: no second region, no collection
        Assert.Equal(gen0, GC.CollectionCount(0));
        Assert.Equal(before + 1, GcQuiet.RegionsStarted);
        GcQuiet.Exit();
        Assert.False(GcQuiet.Active);
        GcQuiet.Exit();   // closing twice is harmless
        GC.KeepAlive(garbage);
    }

    [Fact]
    public void Spending_the_budget_ends_the_region_and_the_next_Enter_opens_another()
    {
        GcQuiet.Exit();
        GcQuiet.Enter();
        int before = GcQuiet.RegionsStarted;
        for (long spent = 0; spent < 2 * GcQuiet.BudgetBytes; spent += 1 << 16) GC.KeepAlive(new byte[1 << 16]);
        Assert.False(GcQuiet.Active);
        GcQuiet.Enter();
        Assert.True(GcQuiet.Active);
        Assert.Equal(before + 1, GcQuiet.RegionsStarted);
        GcQuiet.Exit();
    }
}
