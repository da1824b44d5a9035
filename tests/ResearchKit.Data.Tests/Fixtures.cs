using SkiaSharp;

namespace ResearchKit.Data.Tests;

/// <summary>Builds tiny data-set trees in the real layouts, with images generated on the fly.</summary>
public static class Fixtures
{
    /// <summary>Writes a small JPEG (or PNG) whose colour encodes <paramref name="seed"/>.</summary>
    public static void Image(string path, int seed, int width = 40, int height = 30, bool png = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var c = new SKCanvas(bmp))
        {
            c.Clear(new SKColor((byte)(seed * 37 % 256), (byte)(seed * 91 % 256), (byte)(seed * 53 % 256)));
            using var p = new SKPaint { Color = SKColors.White };
            c.DrawRect(seed % (width / 2), 2, width / 3, height / 3, p);
        }
        using var data = bmp.Encode(png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>CUB_200_2011 with <paramref name="perClass"/> images for each of the 200 classes (plus a ._ resource fork).</summary>
    public static string Cub(string root, int perClass = 2, bool writeImages = true)
    {
        var dir = Path.Combine(root, "CUB_200_2011");
        var images = new List<string>(); var labels = new List<string>();
        int id = 0;
        for (int c = 1; c <= 200; c++)
            for (int k = 0; k < perClass; k++)
            {
                id++;
                var rel = $"{c:000}.Bird_{c}/Bird_{c}_{k}.jpg";
                images.Add($"{id} {rel}"); labels.Add($"{id} {c}");
                if (writeImages) Image(Path.Combine(dir, "images", rel), id, 8, 8);
            }
        id++;
        images.Add($"{id} 001.Bird_1/._Bird_1_0.jpg"); labels.Add($"{id} 1");
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, "images.txt"), images);
        File.WriteAllLines(Path.Combine(dir, "image_class_labels.txt"), labels);
        return dir;
    }

    /// <summary>Cars in the car_ims layout: 196 classes × perClass images, cars_annos.csv.</summary>
    public static string CarsCarIms(string root, int perClass = 1)
    {
        var dir = Path.Combine(root, "cars196");
        var lines = new List<string> { "relative_im_path,class" };
        int id = 0;
        for (int c = 1; c <= 196; c++)
            for (int k = 0; k < perClass; k++)
            {
                id++;
                var rel = $"car_ims/{id:000000}.jpg";
                Image(Path.Combine(dir, rel), id, 8, 8);
                lines.Add($"{rel},{c}");
            }
        File.WriteAllLines(Path.Combine(dir, "cars_annos.csv"), lines);
        return dir;
    }

    /// <summary>Cars in PRISM's class-folder layout (images/&lt;Class Name&gt;/NNNNN.jpg) with names.csv; class 3 is the "C/V" one.</summary>
    public static string CarsClassFolders(string root, int perClass = 1)
    {
        var dir = Path.Combine(root, "cars196");
        var names = Enumerable.Range(1, 196).Select(c => c == 3 ? "Ram C/V Cargo Van Minivan 2012" : $"Make{c} Model Sedan 20{c % 20:00}").ToList();
        File.WriteAllLines(Path.Combine(dir, "names.csv").EnsureDir(), names);
        int id = 0;
        for (int c = 1; c <= 196; c++)
            for (int k = 0; k < perClass; k++)
                Image(Path.Combine(dir, "images", names[c - 1].Replace('/', '-'), $"{++id:00000}.jpg"), id, 8, 8);
        return dir;
    }

    /// <summary>
    /// The Kaggle jutrera copy of Cars in <paramref name="dir"/>: <c>car_data/car_data/{train,test}/&lt;Class Name&gt;/NNNNN.jpg</c>
    /// (perClass images per class in each split, numbered without collisions) and <c>names.csv</c>; class 3 is the "C/V" one.
    /// </summary>
    public static string CarsKaggle(string dir, int perClass = 1)
    {
        var names = Enumerable.Range(1, 196).Select(c => c == 3 ? "Ram C/V Cargo Van Minivan 2012" : $"Make{c} Model Sedan 20{c % 20:00}").ToList();
        File.WriteAllLines(Path.Combine(dir, "names.csv").EnsureDir(), names);
        int id = 0;
        foreach (var split in new[] { "train", "test" })
            for (int c = 1; c <= 196; c++)
                for (int k = 0; k < perClass; k++)
                    Image(Path.Combine(dir, "car_data", "car_data", split, names[c - 1].Replace('/', '-'), $"{++id:00000}.jpg"), id, 8, 8);
        return dir;
    }

    /// <summary>SOP with the given class counts per split (ids continue across splits, as in the release).</summary>
    public static string Sop(string root, int trainClasses = 5, int testClasses = 4, int perClass = 2)
    {
        var dir = Path.Combine(root, "Stanford_Online_Products");
        int id = 0, cls = 0;
        foreach (var (file, count) in new[] { ("Ebay_train.txt", trainClasses), ("Ebay_test.txt", testClasses) })
        {
            var lines = new List<string> { "image_id class_id super_class_id path" };
            for (int c = 0; c < count; c++)
            {
                cls++;
                for (int k = 0; k < perClass; k++)
                {
                    id++;
                    var rel = $"bicycle_final/{cls}_{k}.JPG";
                    Image(Path.Combine(dir, rel), id, 8, 8);
                    lines.Add($"{id} {cls} 1 {rel}");
                }
            }
            File.WriteAllLines(Path.Combine(dir, file), lines);
        }
        return dir;
    }

    public static string EnsureDir(this string path) { Directory.CreateDirectory(Path.GetDirectoryName(path)!); return path; }
}
