using System.Globalization;

namespace OiStream.Core.Series;

/// <summary>
/// The change windows (e.g. 5m … 24h) and the ring geometry that serves them.
/// </summary>
/// <remarks>
/// Every window <c>w</c> is served by its own ring of <see cref="SlotsPerWindow"/> + 2 buckets of
/// <c>r = w / SlotsPerWindow</c> milliseconds. Because <c>w</c> is an exact multiple of <c>r</c>, the bucket that
/// holds <c>value_asof(t − w)</c> is always the slot right after the ring's head, so a lookup needs neither a
/// division nor a scan. Windows must therefore be whole minutes (60 000 ms is divisible by the default 300 slots).
/// </remarks>
public sealed class WindowSet
{
    /// <summary>Default number of buckets per window: 5m resolves to 1 s and 24h to 4.8 min.</summary>
    public const int DefaultSlotsPerWindow = 300;

    /// <summary>The default windows of design section 3.</summary>
    public static readonly string[] DefaultWindowNames = ["5m", "15m", "30m", "1h", "4h", "24h"];

    private readonly Dictionary<string, int> _indexByName;

    private WindowSet(string[] names, long[] durations, int slotsPerWindow)
    {
        Names = names;
        DurationsMs = durations;
        SlotsPerWindow = slotsPerWindow;
        ResolutionsMs = durations.Select(d => d / slotsPerWindow).ToArray();
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

    /// <summary>Buckets per window (the ring holds two more).</summary>
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
            if (durations[i] % slotsPerWindow != 0)
            {
                throw new ArgumentException(
                    $"Window '{list[i]}' ({durations[i]} ms) is not divisible into {slotsPerWindow} equal buckets; use whole minutes.",
                    nameof(names));
            }
            if (!seen.Add(durations[i]))
            {
                throw new ArgumentException($"Window '{list[i]}' is listed twice; list each window once.", nameof(names));
            }
        }
        return new WindowSet(list.Select(n => n.Trim()).ToArray(), durations, slotsPerWindow);
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
