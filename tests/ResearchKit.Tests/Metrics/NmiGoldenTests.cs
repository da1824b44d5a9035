using ResearchKit.Metrics;
using ResearchKit.Tests.Golden;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Metrics;

/// <summary>nmi.json: scikit-learn's normalized_mutual_info_score (arithmetic) from explicit assignments.</summary>
public class NmiGoldenTests
{
    public static TheoryData<string> Cases() => GoldenData.CaseNames("nmi.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Nmi_matches_golden(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = GoldenData.Load("nmi.json").Case(name);
        var labels = GoldenJson.Labels(c.Inputs.GetProperty("labels"));
        var clusters = GoldenJson.Labels(c.Inputs.GetProperty("cluster_assignments"));
        double expected = c.Expected.GetProperty("nmi").GetDouble();
        double actual = NormalizedMutualInformation.Compute(labels, clusters);
        Assert.True(Math.Abs(actual - expected) <= 1e-9 * Math.Abs(expected) + 1e-15, $"NMI: got {actual:R}, expected {expected:R}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mutual_information_and_entropies_match_golden(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = GoldenData.Load("nmi.json").Case(name);
        var (_, classIds, _) = torch.unique(GoldenJson.Labels(c.Inputs.GetProperty("labels")), return_inverse: true);
        var (_, clusterIds, _) = torch.unique(GoldenJson.Labels(c.Inputs.GetProperty("cluster_assignments")), return_inverse: true);
        long nc = classIds!.max().item<long>() + 1, nk = clusterIds!.max().item<long>() + 1;
        void Close(string field, double actual)
        {
            double e = c.Expected.GetProperty(field).GetDouble();
            Assert.True(Math.Abs(actual - e) <= 1e-9 * Math.Abs(e) + 1e-14, $"{field}: got {actual:R}, expected {e:R}");
        }
        Close("mutual_info", NormalizedMutualInformation.MutualInformation(classIds, clusterIds, nc, nk));
        Close("entropy_labels", NormalizedMutualInformation.Entropy(classIds, nc));
        Close("entropy_clusters", NormalizedMutualInformation.Entropy(clusterIds, nk));
    }
}
