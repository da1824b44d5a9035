namespace ResearchKit.Data;

/// <summary>
/// Candidate characters in priority order: [0-9A-Za-z], the Latin-1 letters, Greek, Cyrillic, then Latin
/// Extended-A letters. Earlier candidates win homoglyph ties (Latin A beats Greek Α and Cyrillic А).
/// </summary>
public static class GlyphCharacters
{
    /// <summary>The candidate code points, in priority order.</summary>
    public static IReadOnlyList<int> Candidates { get; } = Build();

    private static int[] Build()
    {
        var list = new List<int>();
        void Range(int from, int to) { for (int c = from; c <= to; c++) if (char.IsLetterOrDigit(char.ConvertFromUtf32(c), 0)) list.Add(c); }
        Range('0', '9'); Range('A', 'Z'); Range('a', 'z');
        Range(0xC0, 0xFF);      // Latin-1 letters (× and ÷ are not letters)
        Range(0x391, 0x3A9); Range(0x3B1, 0x3C9);   // Greek
        Range(0x410, 0x44F);    // Cyrillic basic
        Range(0x100, 0x17F);    // Latin Extended-A
        return list.Distinct().ToArray();
    }
}
