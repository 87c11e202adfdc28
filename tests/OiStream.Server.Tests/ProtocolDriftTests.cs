using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using OiStream.Contracts;
using OiStream.Core.Series;
using OiStream.Server.Hubs;

namespace OiStream.Server.Tests;

/// <summary>
/// Protocol v1 is written once per language: the C# contracts and names (<c>OiStream.Contracts</c>), the JavaScript
/// client (<c>clients/js/src/client.js</c>) and its types (<c>index.d.ts</c>). These tests fail when they drift apart.
/// </summary>
public sealed partial class ProtocolDriftTests
{
    private static readonly string Root = FindRoot();
    private static readonly string ClientJs = File.ReadAllText(Path.Combine(Root, "clients/js/src/client.js"));
    private static readonly string Types = File.ReadAllText(Path.Combine(Root, "clients/js/src/index.d.ts"));

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OiStream.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("Run the tests from inside the repository.");
    }

    [Fact]
    public void The_hubs_methods_and_events_are_the_contracts_names()
    {
        var methods = typeof(OiHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.GetBaseDefinition().DeclaringType == typeof(OiHub)).Select(m => m.Name).Order(StringComparer.Ordinal);
        Assert.Equal(HubMethods.All.Order(StringComparer.Ordinal), methods);
        Assert.Equal(HubEvents.All.Order(StringComparer.Ordinal), typeof(IOiClient).GetMethods().Select(m => m.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_JavaScript_clients_methods_events_and_windows_are_the_contracts()
    {
        var methods = Block(ClientJs, @"export const METHODS = Object\.freeze\(\{(?<body>[^}]*)\}\)");
        Assert.Equal(HubMethods.All.Order(StringComparer.Ordinal), Quoted(methods).Order(StringComparer.Ordinal));
        var events = Block(ClientJs, @"export const EVENTS = Object\.freeze\(\[(?<body>[^\]]*)\]\)");
        var fromHub = events[..events.IndexOf("// from the hub", StringComparison.Ordinal)];
        Assert.Equal(HubEvents.All, Quoted(fromHub));
        Assert.Equal(WindowSet.DefaultWindowNames, Quoted(Block(ClientJs, @"export const WINDOWS = Object\.freeze\(\[(?<body>[^\]]*)\]\)")));
        foreach (var e in HubEvents.All)
        {
            Assert.Contains($"this._connection.on('{e}'", ClientJs, StringComparison.Ordinal);
        }
    }

    public static TheoryData<Type, string> Payloads => new()
    {
        { typeof(InstrumentState), "InstrumentState" },
        { typeof(CoinState), "CoinState" },
        { typeof(SignalEvent), "SignalEvent" },
        { typeof(FeedStatus), "FeedStatus" },
        { typeof(HubInfo), "HubInfo" },
        { typeof(InstrumentDelta), "InstrumentDelta" },
        { typeof(DeltaSubscription), "DeltaSubscription" },
        { typeof(OverviewDelta), "OverviewDelta" },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Each_payloads_fields_are_the_same_in_JSON_MessagePack_and_the_TypeScript_types(Type type, string name)
    {
        // JSON as the hub writes it (SignalR's camelCase web defaults), MessagePack by [DataMember] names.
        var json = JsonSerializerOptions.Web.GetTypeInfo(type).Properties.Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        var packed = type.GetProperties().Select(p => p.GetCustomAttribute<DataMemberAttribute>()?.Name).OfType<string>().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(json, packed);
        var declared = Fields(Block(Types, $@"export interface {name} \{{(?<body>[^}}]*)\}}")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(json, declared);
    }

    [Fact]
    public void The_TypeScript_event_map_and_methods_cover_the_hubs()
    {
        var eventMap = Fields(Block(Types, @"export interface EventMap \{(?<body>[^}]*)\}")).ToList();
        Assert.Empty(HubEvents.All.Except(eventMap));
        var methods = Block(Types, @"export declare const METHODS: Readonly<\{(?<body>[^}]*)\}>");
        Assert.Equal(HubMethods.All.Order(StringComparer.Ordinal), Quoted(methods).Order(StringComparer.Ordinal));
        var table = Fields(Block(Types, @"export interface OverviewTable \{(?<body>[^}]*)\}")).Order(StringComparer.Ordinal);
        Assert.Equal(["fields", "rows", "signals", "source"], table);
    }

    private static string Block(string source, [StringSyntax(StringSyntaxAttribute.Regex)] string pattern)
    {
        var m = Regex.Match(source, pattern, RegexOptions.Singleline);
        Assert.True(m.Success, $"not found: {pattern}");
        return m.Groups["body"].Value;
    }

    private static List<string> Quoted(string text) => [.. QuotedString().Matches(text).Select(m => m.Groups[1].Value)];

    // Property names of a TypeScript interface body (comments left out).
    private static IEnumerable<string> Fields(string body) => FieldName().Matches(CommentBlock().Replace(body, "")).Select(m => m.Groups[1].Value);

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex QuotedString();

    [GeneratedRegex(@"^\s*(\w+)\??:", RegexOptions.Multiline)]
    private static partial Regex FieldName();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex CommentBlock();
}
