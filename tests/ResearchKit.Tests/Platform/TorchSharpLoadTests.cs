using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Tests.Platform;

/// <summary>
/// The native libtorch loads (GLIBCXX_3.4.32 weakened at build time on Debian 12) and autograd runs.
/// </summary>
public class TorchSharpLoadTests
{
    [Fact]
    public void Backward_pass_runs_on_cpu()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, -2, 3 }, requires_grad: true);
        var y = (x * x).sum() + x.exp().sum();
        y.backward();
        var g = x.grad!.data<double>().ToArray();
        Assert.Equal(new[] { 2 + Math.Exp(1), -4 + Math.Exp(-2), 6 + Math.Exp(3) }, g, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void The_LibTorchSharp_copy_in_use_loads_on_this_host()
    {
        // The copy next to the test assembly is the one in use; its version need must be weak
        // unless the host's libstdc++ provides GLIBCXX_3.4.32.
        var lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(lib), $"expected the RID-specific native layout with {lib}");
        Assert.True(NativeElf.VersionNeedLoadable(lib, "GLIBCXX_3.4.32"),
            "libLibTorchSharp.so needs GLIBCXX_3.4.32 (not weak) but the host libstdc++ lacks it; the build step in Directory.Build.targets did not run");
    }
}

/// <summary>A minimal ELF reader for the test above (mirrors Directory.Build.targets).</summary>
internal static class NativeElf
{
    public static bool VersionNeedLoadable(string path, string version)
    {
        if (HostProvides(version)) return true;
        var flags = VernauxFlags(path, version);
        return flags is null || (flags.Value & 2) != 0;
    }

    private static bool HostProvides(string version)
    {
        foreach (var c in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" })
            if (File.Exists(c))
                return File.ReadAllBytes(c).AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(version + "\0")) >= 0;
        return false;
    }

    private static int? VernauxFlags(string path, string version)
    {
        var b = File.ReadAllBytes(path);
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != 0x6ffffffe) continue;
            long vn = BitConverter.ToInt64(b, (int)sh + 24);
            int link = (int)BitConverter.ToUInt32(b, (int)sh + 40);
            long strOff = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 24);
            while (true)
            {
                int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    int nameOff = (int)(strOff + BitConverter.ToUInt32(b, (int)aux + 8));
                    int end = Array.IndexOf(b, (byte)0, nameOff);
                    if (System.Text.Encoding.ASCII.GetString(b, nameOff, end - nameOff) == version)
                        return BitConverter.ToUInt16(b, (int)aux + 4);
                    aux += BitConverter.ToUInt32(b, (int)aux + 12);
                }
                uint next = BitConverter.ToUInt32(b, (int)vn + 12);
                if (next == 0) break;
                vn += next;
            }
        }
        return null;
    }
}
