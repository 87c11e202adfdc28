using System.Text.Json;

namespace OiStream.Notifier.Rules;

/// <summary>
/// Line and column (1-based) of every value and property name in a JSON document, keyed by path
/// (<c>rules[2].when</c>), so a rule-file error can point at the exact place. <see cref="JsonDocument"/> keeps no
/// positions, so one pass with <see cref="Utf8JsonReader"/> records them.
/// </summary>
internal sealed class JsonPositions
{
    private readonly Dictionary<string, (int Line, int Column)> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Line, int Column)> _names = new(StringComparer.Ordinal);

    /// <summary>Reads the positions; throws <see cref="JsonException"/> for invalid JSON (with its line and byte).</summary>
    public JsonPositions(ReadOnlySpan<byte> json, JsonReaderOptions options)
    {
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }
        static (int, int) At(ReadOnlySpan<byte> json, List<int> lineStarts, long offset)
        {
            var line = lineStarts.BinarySearch((int)offset);
            line = line >= 0 ? line : ~line - 1;
            // Column counts characters, not bytes: decode the line's prefix.
            var column = System.Text.Encoding.UTF8.GetCharCount(json[lineStarts[line]..(int)offset]) + 1;
            return (line + 1, column);
        }

        var reader = new Utf8JsonReader(json, options);
        var stack = new Stack<(string Path, bool IsArray, int Index)>();
        string? property = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString();
                    _names[Join(stack.Peek().Path, property!)] = At(json, lineStarts, reader.TokenStartIndex);
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    stack.Pop();
                    continue;
            }
            string path;
            if (stack.Count == 0)
            {
                path = "";
            }
            else if (stack.Peek().IsArray)
            {
                var frame = stack.Pop();
                path = $"{frame.Path}[{frame.Index}]";
                stack.Push(frame with { Index = frame.Index + 1 });
            }
            else
            {
                path = Join(stack.Peek().Path, property!);
            }
            _values[path] = At(json, lineStarts, reader.TokenStartIndex);
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                stack.Push((path, reader.TokenType == JsonTokenType.StartArray, 0));
            }
        }
    }

    /// <summary>Joins a parent path and a property name.</summary>
    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;

    /// <summary>Where the value at this path starts (or its nearest recorded parent).</summary>
    public (int Line, int Column) Value(string path)
    {
        for (var p = path; ; p = Parent(p))
        {
            if (_values.TryGetValue(p, out var at))
            {
                return at;
            }
            if (p.Length == 0)
            {
                return (1, 1);
            }
        }
    }

    /// <summary>Where the property name at this path starts.</summary>
    public (int Line, int Column) Name(string path) => _names.TryGetValue(path, out var at) ? at : Value(path);

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}
