using System.Globalization;

namespace OiStream.Core.Series;

/// <summary>
/// The change windows (e.g. 5m … 24h) and the ring geometry that serves them.
/// </summary>
/// <remarks>
/// Every window <c>w</c> is served by its own ring of <c>K + 2</c> buckets of <c>r</c> milliseconds, where <c>r</c> is
/// the smallest "round" duration (1 s, 2 s, 3 s, 5 s, 6 s, 10 s, 12 s, 15 s, 20 s, 30 s, 1 min, 2, 3, 5, 10, 15, 20,
/// 30 min, 1 h …) that divides <c>w</c> and is at least <c>w / SlotsPerWindow</c>, and <c>K = w / r</c>. Because
/// <c>w</c> is an exact multiple of <c>r</c>, the bucket that holds <c>value_asof(t − w)</c> is always the slot right
/// after the ring's head, so a lookup needs neither a division nor a scan. Round resolutions keep bucket edges on
/// round times: at 24h the bucket is 5 min, the same grid as Binance's 5m <c>openInterestHist</c>, so a warm-started
/// 24h change compares with the history row exactly 24 h earlier. Windows must be whole minutes.
/// </remarks>
public sealed class WindowSet
{
    /// <summary>Default number of buckets per window: 5m resolves to 1 s and 24h to 4.8 min.</summary>
    public const int DefaultSlotsPerWindow = 300;

    /// <summary>The default windows of design section 3.</summary>
    public static readonly string[] DefaultWindowNames = ["5m", "15m", "30m", "1h", "4h", "24h"];

    // Declared before Default: static fields initialise in text order, and Default needs this table.
    private static readonly long[] RoundResolutionsMs =
    [
        1_000, 2_000, 3_000, 5_000, 6_000, 10_000, 12_000, 15_000, 20_000, 30_000,
        60_000, 120_000, 180_000, 300_000, 600_000, 900_000, 1_200_000, 1_800_000,
        3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
    ];

    private readonly Dictionary<string, int> _indexByName;

    private WindowSet(string[] names, long[] durations, int slotsPerWindow)
    {
        Names = names;
        DurationsMs = durations;
        SlotsPerWindow = slotsPerWindow;
        ResolutionsMs = durations.Select(d => ChooseResolution(d, slotsPerWindow)).ToArray();
        BucketCounts = durations.Select((d, i) => (int)(d / ResolutionsMs[i])).ToArray();
        _indexByName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < names.Length; i++)
        {
            _indexByName[names[i]] = i;
        }
    }

    /// <summary>The default set (5m, 15m, 30m, 1h, 4h, 24h; 300 buckets each).</summary>
    public static WindowSet Default { get; } = Parse(DefaultWindowNames);

    /// <summary>Window names as they appear in JSON change blocks, e.g. <c>"5m"</c>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Window lengths in milliseconds, in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<long> DurationsMs { get; }

    /// <summary>Bucket width of each window's ring in milliseconds: the time resolution of that window's change.</summary>
    public IReadOnlyList<long> ResolutionsMs { get; }

    /// <summary>Buckets per window <c>K = w / r</c> (the ring holds two more).</summary>
    public IReadOnlyList<int> BucketCounts { get; }

    /// <summary>The most buckets a window may use: the resolution of <c>w</c> is at least <c>w / SlotsPerWindow</c>.</summary>
    public int SlotsPerWindow { get; }

    /// <summary>Number of windows.</summary>
    public int Count => Names.Count;

    /// <summary>Index of the longest window.</summary>
    public int LongestIndex
    {
        get
        {
            var best = 0;
            for (var i = 1; i < Count; i++)
            {
                if (DurationsMs[i] > DurationsMs[best])
                {
                    best = i;
                }
            }
            return best;
        }
    }

    /// <summary>Finds a window by name (case-insensitive).</summary>
    public bool TryGetIndex(string name, out int index) => _indexByName.TryGetValue(name, out index);

    /// <summary>
    /// Parses window names such as <c>5m</c>, <c>1h</c>, <c>1d</c> (whole minutes, hours or days).
    /// </summary>
    /// <exception cref="ArgumentException">A name is malformed, duplicated, or not a whole number of minutes.</exception>
    public static WindowSet Parse(IEnumerable<string> names, int slotsPerWindow = DefaultSlotsPerWindow)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (slotsPerWindow < 10 || slotsPerWindow > 10_000)
        {
            throw new ArgumentException(
                $"SlotsPerWindow {slotsPerWindow} is out of range; use 10 to 10000 (default {DefaultSlotsPerWindow}).",
                nameof(slotsPerWindow));
        }

        var list = names.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("No windows given; configure at least one, e.g. [\"5m\",\"1h\",\"24h\"].", nameof(names));
        }

        var durations = new long[list.Length];
        var seen = new HashSet<long>();
        for (var i = 0; i < list.Length; i++)
        {
            durations[i] = ParseDuration(list[i]);
            if (!seen.Add(durations[i]))
            {
                throw new ArgumentException($"Window '{list[i]}' is listed twice; list each window once.", nameof(names));
            }
        }
        return new WindowSet(list.Select(n => n.Trim()).ToArray(), durations, slotsPerWindow);
    }

    /// <summary>
    /// The bucket width for a window: the smallest round duration that divides it and gives at most
    /// <paramref name="maxBuckets"/> buckets (see class remarks).
    /// </summary>
    public static long ChooseResolution(long windowMs, int maxBuckets)
    {
        foreach (var r in RoundResolutionsMs)
        {
            if (r * maxBuckets >= windowMs && windowMs % r == 0)
            {
                return r;
            }
        }
        // Longer than any round step covers: whole minutes, as coarse as needed.
        var minutes = windowMs / 60_000;
        for (var m = (minutes + maxBuckets - 1) / maxBuckets; m <= minutes; m++)
        {
            if (minutes % m == 0)
            {
                return m * 60_000;
            }
        }
        return windowMs;
    }

    /// <summary>Parses <c>15m</c>, <c>4h</c>, <c>1d</c> into milliseconds.</summary>
    public static long ParseDuration(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length < 2)
        {
            throw new ArgumentException($"Window '{name}' is malformed; write a whole number and a unit m, h or d, e.g. \"15m\".", nameof(name));
        }
        var s = name.Trim();
        var unit = char.ToLowerInvariant(s[^1]);
        var unitMs = unit switch
        {
            'm' => 60_000L,
            'h' => 3_600_000L,
            'd' => 86_400_000L,
            _ => 0L,
        };
        if (unitMs == 0 || !long.TryParse(s.AsSpan(0, s.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 60 * 24 * 90)
        {
            throw new ArgumentException($"Window '{name}' is malformed; write a whole number and a unit m, h or d, e.g. \"15m\".", nameof(name));
        }
        return n * unitMs;
    }
}
