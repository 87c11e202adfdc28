using System.Text.Json;

namespace OiStream.Server.Tests;

/// <summary>A restart on the same store: Bybit and OKX warm from it and ask their venue only for what follows.</summary>
public sealed class VenueRestartTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_restart_warms_Bybit_and_OKX_from_the_store_and_fetches_only_the_gap()
    {
        var store = "--OiStream:Storage:Path=" + _dir.File("history.db");
        JsonElement firstVenues;
        var first = new HubHost { Arguments = HubHost.Args(store) };
        try
        {
            await first.InitializeAsync();
            firstVenues = await LiveVenuesAsync(first);
            // The venues' five-minute history went to the store.
            await Wait.UntilAsync(async () => (await first.GetJsonAsync<JsonElement>("/api/v1/open-interest/held?symbol=OKX:BTC-USDT-SWAP")).GetProperty("from").ValueKind == JsonValueKind.Number
                && (await first.GetJsonAsync<JsonElement>("/api/v1/open-interest/held?symbol=BYBIT:BTCUSDT")).GetProperty("from").ValueKind == JsonValueKind.Number,
                TimeSpan.FromSeconds(60), "Bybit and OKX history stored");
        }
        finally
        {
            await first.DisposeAsync();
        }

        var second = new HubHost { Arguments = HubHost.Args(store) };
        try
        {
            await second.InitializeAsync();
            await AssertWarmAsync(second, firstVenues);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private static async Task AssertWarmAsync(HubHost second, JsonElement firstVenues)
    {
        var secondVenues = await LiveVenuesAsync(second);
        foreach (var venue in new[] { "bybit", "okx" })
        {
            var before = Venue(firstVenues, venue);
            var after = Venue(secondVenues, venue);
            Assert.True(before.GetProperty("backfilledRows").GetInt32() > 100, $"{venue} fetched its history at the first start");
            Assert.True(after.GetProperty("heldRows").GetInt32() > 0, $"{venue} read its history back from the store");
            Assert.True(after.GetProperty("backfilledRows").GetInt32() * 10 < before.GetProperty("backfilledRows").GetInt32(),
                $"{venue} fetched {after.GetProperty("backfilledRows").GetInt32()} rows after the restart against {before.GetProperty("backfilledRows").GetInt32()} at the first start");
        }
        // Every window is there at once.
        var btc = await second.GetJsonAsync<JsonElement>("/api/v1/instruments/BYBIT:BTCUSDT");
        Assert.Equal(JsonValueKind.Number, btc.GetProperty("change").GetProperty("24h").ValueKind);
    }

    private static async Task<JsonElement> LiveVenuesAsync(HubHost host)
    {
        JsonElement venues = default;
        await Wait.UntilAsync(async () =>
        {
            venues = (await host.GetJsonAsync<JsonElement>("/api/v1/status")).GetProperty("venues");
            return venues.GetArrayLength() == 2 && venues.EnumerateArray().All(v => v.GetProperty("live").GetBoolean());
        }, TimeSpan.FromSeconds(90), "Bybit and OKX live");
        return venues;
    }

    private static JsonElement Venue(JsonElement venues, string exchange) => venues.EnumerateArray().Single(v => v.GetProperty("exchange").GetString() == exchange);
}
