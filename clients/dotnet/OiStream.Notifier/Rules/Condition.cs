using System.Globalization;
using System.Text.RegularExpressions;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Notifier.Rules;

/// <summary>
/// A rule's <c>when</c>: <c>change.5m &gt;= 1.5</c>, <c>changeUsd.1h &lt;= -3</c>, <c>priceChange.15m &gt; 2</c>, or
/// <c>signal.1h == strongBearish</c> (the price/OI quadrant of a window).
/// </summary>
public sealed partial record Condition(string Field, string Window, string Operator, double Threshold, string? Quadrant)
{
    /// <summary>The numeric fields.</summary>
    public static readonly IReadOnlyList<string> NumericFields = ["change", "changeUsd", "priceChange"];

    /// <summary>The quadrant names.</summary>
    public static readonly IReadOnlyList<string> Quadrants = [SignalNames.StrongBullish, SignalNames.WeakeningRally, SignalNames.StrongBearish, SignalNames.WeakeningSelloff, SignalNames.Neutral];

    /// <summary>Parses the text; the error names what is wrong and what would be right.</summary>
    public static bool TryParse(string text, out Condition? condition, out string? error)
    {
        condition = null;
        var m = Shape().Match(text);
        if (!m.Success)
        {
            error = $"'{text}' is not a condition. Write FIELD.WINDOW OP VALUE, e.g. \"change.5m >= 1.5\", \"changeUsd.1h <= -3\" or \"signal.1h == strongBearish\".";
            return false;
        }
        var (field, window, op, value) = (m.Groups["field"].Value, m.Groups["window"].Value, m.Groups["op"].Value, m.Groups["value"].Value);
        if (!OiFormat.Windows.Contains(window))
        {
            error = $"Unknown window '{window}' in '{text}'. Use one of {string.Join(", ", OiFormat.Windows)}.";
            return false;
        }
        if (field == "signal")
        {
            if (op is not ("==" or "!="))
            {
                error = $"'{text}': a quadrant is compared with == or !=, e.g. \"signal.{window} == strongBearish\".";
                return false;
            }
            if (!Quadrants.Contains(value))
            {
                error = $"Unknown quadrant '{value}' in '{text}'. Use one of {string.Join(", ", Quadrants)}.";
                return false;
            }
            condition = new Condition(field, window, op, 0, value);
            error = null;
            return true;
        }
        if (!NumericFields.Contains(field))
        {
            error = $"Unknown field '{field}' in '{text}'. Use one of {string.Join(", ", NumericFields)} (percent changes) or signal (the quadrant).";
            return false;
        }
        if (op is "==" or "!=")
        {
            error = $"'{text}': compare a percent change with >=, <=, > or <.";
            return false;
        }
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold) || !double.IsFinite(threshold))
        {
            error = $"'{value}' in '{text}' is not a number of percent, e.g. 1.5 or -3.";
            return false;
        }
        condition = new Condition(field, window, op, threshold, null);
        error = null;
        return true;
    }

    /// <summary>The value the condition looks at (a percent change), or null when it has none yet.</summary>
    public double? ValueOf(IReadOnlyDictionary<string, double?> change, IReadOnlyDictionary<string, double?> changeUsd, IReadOnlyDictionary<string, double?> priceChange) => Field switch
    {
        "change" => change.GetValueOrDefault(Window),
        "changeUsd" => changeUsd.GetValueOrDefault(Window),
        "priceChange" => priceChange.GetValueOrDefault(Window),
        _ => null,
    };

    /// <summary>True when the condition holds for these blocks.</summary>
    public bool Holds(IReadOnlyDictionary<string, double?> change, IReadOnlyDictionary<string, double?> changeUsd, IReadOnlyDictionary<string, double?> priceChange, IReadOnlyDictionary<string, string?> signal)
    {
        if (Quadrant is not null)
        {
            var q = signal.GetValueOrDefault(Window);
            return q is not null && (Operator == "==") == (q == Quadrant);
        }
        return ValueOf(change, changeUsd, priceChange) is { } v && Operator switch
        {
            ">=" => v >= Threshold,
            "<=" => v <= Threshold,
            ">" => v > Threshold,
            "<" => v < Threshold,
            _ => false,
        };
    }

    /// <inheritdoc />
    public override string ToString() => Quadrant is null
        ? $"{Field}.{Window} {Operator} {Threshold.ToString(CultureInfo.InvariantCulture)}"
        : $"{Field}.{Window} {Operator} {Quadrant}";

    [GeneratedRegex(@"^\s*(?<field>[A-Za-z]+)\.(?<window>[0-9]+[a-z])\s*(?<op>>=|<=|==|!=|>|<)\s*(?<value>\S+)\s*$")]
    private static partial Regex Shape();
}
