using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace ResearchKit.Metrics.Knn;

/// <summary>
/// The float32 similarity products of the exact k-NN scan on x86 CPUs, a register-blocked kernel of the kit's own
/// instead of a BLAS call. Every product <c>a · b</c> is one fused multiply-add chain over the dimension in index order,
/// <c>s = fma(a[d-1], b[d-1], … fma(a[0], b[0], 0))</c>, whatever the block shape, the tile, the CPU's vector width or
/// which operand is the query: so a pair's similarity is the same number in the scan, in its mirror, in
/// <see cref="BestPositive"/> and on every x86 machine (<see cref="Reference"/> is the scalar definition the tests
/// compare against). A BLAS product, by contrast, sums in an order that depends on the CPU and the shape.
/// <para>
/// Why not MKL (what <c>torch.mm</c> calls): on a 2-core AMD EPYC (Zen 4) MKL runs its generic AVX2 path at about
/// 89 GFLOP/s per core, 77 % of the measured FMA peak (116 GFLOP/s), while this kernel reaches 109–114 GFLOP/s on the
/// SOP scan's 1,024 × 1,024 × 512 blocks (docs/speed-eval-and-peers.md). The kernel: 12 rows × 32 columns of sums in
/// 24 zmm registers (6 × 16 in 12 ymm registers without AVX-512), the rows read in place (one broadcast per row and
/// step), the columns from panels packed once per block column (<see cref="PackedColumns"/>).
/// </para>
/// </summary>
internal static unsafe class FmaProducts
{
    /// <summary>Whether this CPU runs the kernel (x86 with FMA and AVX2 at least); otherwise the scan keeps torch's products.</summary>
    public static bool IsSupported => Fma.IsSupported && Avx2.IsSupported;

    /// <summary>
    /// Set by the <c>sop-eval --compare-torch</c> bench only: the scan then takes torch's products everywhere, to
    /// compare both on one data set. Not an option: one process, one kind of numbers.
    /// </summary>
    internal static bool UseTorchProducts { get; set; }

    /// <summary>Whether the scan's products for these embeddings come from this kernel: float32 on the CPU, where supported.</summary>
    public static bool AppliesTo(Tensor embeddings) =>
        IsSupported && !UseTorchProducts && embeddings.dtype == ScalarType.Float32 && embeddings.device_type == DeviceType.CPU;

    /// <summary>Columns per tile and per packed panel of the widest kernel this CPU runs: 32 with AVX-512, else 16.</summary>
    internal static int DefaultWidth => Avx512F.IsSupported ? 32 : 16;

    /// <summary>The scalar definition of one similarity: the fused multiply-add chain in index order.</summary>
    public static float Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float sum = 0;
        for (int k = 0; k < a.Length; k++) sum = MathF.FusedMultiplyAdd(a[k], b[k], sum);
        return sum;
    }

    /// <summary>
    /// Columns (rows of a row-major matrix) in the kernel's layout: panels of <see cref="Width"/> columns, each
    /// stored dimension-major, the last panel padded with zeros. One per scan worker, refilled per block column.
    /// </summary>
    public sealed class PackedColumns : IDisposable
    {
        private float* data;
        private long capacity;

        /// <summary>Panels for the kernel of this width: 32 (12 × 32 tiles, needs AVX-512) or 16 (6 × 16 tiles); null = <see cref="DefaultWidth"/>.</summary>
        public PackedColumns(int? width = null)
        {
            Width = width ?? DefaultWidth;
            if (Width != 16 && Width != 32)
                throw new ArgumentOutOfRangeException(nameof(width), width, "expected a panel width of 16 or 32");
            if (Width == 32 && !Avx512F.IsSupported)
                throw new PlatformNotSupportedException("panels of 32 columns need AVX-512, which this CPU lacks");
        }

        /// <summary>Columns per panel, which also picks the kernel.</summary>
        public int Width { get; }

        /// <summary>Block key of the columns packed now (the scan's first reference row), -1 when none.</summary>
        public long Key { get; private set; } = -1;
        /// <summary>Columns packed.</summary>
        public int Count { get; private set; }
        /// <summary>Dimension.</summary>
        public int Dim { get; private set; }

        internal float* Panel(int column) => data + (long)column * Dim;

        /// <summary>Packs rows [0, <paramref name="count"/>) of the row-major (count × dim) matrix at <paramref name="rows"/>.</summary>
        public void Pack(float* rows, int count, int dim, long key)
        {
            int width = Width;
            long padded = (count + width - 1) / width * width;
            long needed = padded * dim;
            if (needed > capacity)
            {
                NativeMemory.AlignedFree(data);
                data = (float*)NativeMemory.AlignedAlloc((nuint)(needed * sizeof(float)), 64);
                capacity = needed;
            }
            for (int p = 0; p < padded; p += width)
            {
                float* panel = data + (long)p * dim;
                for (int r = 0; r < width; r++)
                {
                    if (p + r < count)
                    {
                        float* row = rows + (long)(p + r) * dim;
                        for (int k = 0; k < dim; k++) panel[k * width + r] = row[k];
                    }
                    else
                        for (int k = 0; k < dim; k++) panel[k * width + r] = 0;
                }
            }
            (Count, Dim, Key) = (count, dim, key);
        }

        /// <summary>Frees the panels.</summary>
        public void Dispose()
        {
            NativeMemory.AlignedFree(data);
            data = null;
            capacity = 0;
            Key = -1;
        }
    }

    /// <summary>
    /// Writes the (m × n) products of the row-major rows at <paramref name="a"/> (leading dimension
    /// <paramref name="lda"/>) with the packed columns into <paramref name="c"/> (leading dimension
    /// <paramref name="ldc"/>). With <paramref name="upperOnly"/> (a same-set diagonal block, m = n) only tiles that
    /// hold a pair above the diagonal are computed; entries on and below it are then unspecified.
    /// </summary>
    public static void Multiply(float* a, int lda, int m, PackedColumns b, float* c, int ldc, bool upperOnly)
    {
        int width = b.Width, tileRows = width == 32 ? 12 : 6, d = b.Dim, n = b.Count;
        bool wide = width == 32;
        float* tile = stackalloc float[12 * 32];
        float* lastRows = null;
        try
        {
            for (int i0 = 0; i0 < m; i0 += tileRows)
            {
                int rows = Math.Min(tileRows, m - i0);
                float* rowsAt = a + (long)i0 * lda;
                int rowStride = lda;
                if (rows < tileRows)
                {
                    // The last rows, followed by zero rows, so that the kernel never reads past the matrix.
                    lastRows = (float*)NativeMemory.AllocZeroed((nuint)tileRows * (nuint)d, sizeof(float));
                    for (int r = 0; r < rows; r++) new ReadOnlySpan<float>(rowsAt + (long)r * lda, d).CopyTo(new Span<float>(lastRows + (long)r * d, d));
                    rowsAt = lastRows;
                    rowStride = d;
                }
                // The first pair above a diagonal block's diagonal in these rows is (i0, i0 + 1): tiles left of the
                // one holding column i0 + 1 lie on or below the diagonal.
                int firstColumn = upperOnly ? (i0 + 1) / width * width : 0;
                for (int j0 = firstColumn; j0 < n; j0 += width)
                {
                    int columns = Math.Min(width, n - j0);
                    bool whole = rows == tileRows && columns == width;
                    float* target = whole ? c + (long)i0 * ldc + j0 : tile;
                    int targetStride = whole ? ldc : width;
                    if (wide) Kernel12x32(rowsAt, rowStride, b.Panel(j0), d, target, targetStride);
                    else Kernel6x16(rowsAt, rowStride, b.Panel(j0), d, target, targetStride);
                    if (!whole)
                        for (int r = 0; r < rows; r++)
                            new ReadOnlySpan<float>(tile + r * width, columns).CopyTo(new Span<float>(c + (long)(i0 + r) * ldc + j0, columns));
                }
            }
        }
        finally
        {
            NativeMemory.Free(lastRows);
        }
    }

    /// <summary>
    /// The products of two row-major float32 CPU matrices, (m × d) · (n × d)ᵀ, as a new (m × n) tensor: what
    /// <see cref="BestPositive"/> uses so that its similarities are the scan's numbers.
    /// </summary>
    public static Tensor Product(Tensor rows, Tensor columns, int? width = null)
    {
        var a = rows.contiguous();
        var b = columns.contiguous();
        int m = (int)a.shape[0], n = (int)b.shape[0], d = (int)a.shape[1];
        var result = torch.empty(new long[] { m, n }, ScalarType.Float32);
        if (m == 0 || n == 0) return result;
        using var packed = new PackedColumns(width);
        packed.Pack(Pointer(b), n, d, key: 0);
        Multiply(Pointer(a), d, m, packed, Pointer(result), n, upperOnly: false);
        return result;
    }

    /// <summary>The first element of a contiguous float32 CPU tensor.</summary>
    internal static float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>12 × 32 sums in 24 zmm registers: per step two vector loads of the panel and one broadcast per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x32(float* a, int lda, float* panel, int d, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        long l = lda;
        float* a0 = a, a3 = a + 3 * l, a6 = a + 6 * l, a9 = a + 9 * l;
        for (int k = 0; k < d; k++)
        {
            var b0 = Vector512.Load(panel);
            var b1 = Vector512.Load(panel + 16);
            Vector512<float> x;
            x = Vector512.Create(a0[k]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a0[k + l]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a0[k + 2 * l]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[k]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a3[k + l]); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a3[k + 2 * l]); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[k]); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a6[k + l]); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            x = Vector512.Create(a6[k + 2 * l]); c80 = Avx512F.FusedMultiplyAdd(x, b0, c80); c81 = Avx512F.FusedMultiplyAdd(x, b1, c81);
            x = Vector512.Create(a9[k]); c90 = Avx512F.FusedMultiplyAdd(x, b0, c90); c91 = Avx512F.FusedMultiplyAdd(x, b1, c91);
            x = Vector512.Create(a9[k + l]); ca0 = Avx512F.FusedMultiplyAdd(x, b0, ca0); ca1 = Avx512F.FusedMultiplyAdd(x, b1, ca1);
            x = Vector512.Create(a9[k + 2 * l]); cb0 = Avx512F.FusedMultiplyAdd(x, b0, cb0); cb1 = Avx512F.FusedMultiplyAdd(x, b1, cb1);
            panel += 32;
        }
        long s = ldc;
        c00.Store(c); c01.Store(c + 16); c += s; c10.Store(c); c11.Store(c + 16); c += s;
        c20.Store(c); c21.Store(c + 16); c += s; c30.Store(c); c31.Store(c + 16); c += s;
        c40.Store(c); c41.Store(c + 16); c += s; c50.Store(c); c51.Store(c + 16); c += s;
        c60.Store(c); c61.Store(c + 16); c += s; c70.Store(c); c71.Store(c + 16); c += s;
        c80.Store(c); c81.Store(c + 16); c += s; c90.Store(c); c91.Store(c + 16); c += s;
        ca0.Store(c); ca1.Store(c + 16); c += s; cb0.Store(c); cb1.Store(c + 16);
    }

    /// <summary>6 × 16 sums in 12 ymm registers (16 registers without AVX-512): the same chains, half the width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(float* a, int lda, float* panel, int d, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        long l = lda;
        float* a0 = a, a3 = a + 3 * l;
        for (int k = 0; k < d; k++)
        {
            var b0 = Vector256.Load(panel);
            var b1 = Vector256.Load(panel + 8);
            Vector256<float> x;
            x = Vector256.Create(a0[k]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a0[k + l]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a0[k + 2 * l]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[k]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a3[k + l]); c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a3[k + 2 * l]); c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            panel += 16;
        }
        long s = ldc;
        c00.Store(c); c01.Store(c + 8); c += s; c10.Store(c); c11.Store(c + 8); c += s;
        c20.Store(c); c21.Store(c + 8); c += s; c30.Store(c); c31.Store(c + 8); c += s;
        c40.Store(c); c41.Store(c + 8); c += s; c50.Store(c); c51.Store(c + 8);
    }
}
