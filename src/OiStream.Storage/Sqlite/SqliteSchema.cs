using Microsoft.Data.Sqlite;

namespace OiStream.Storage.Sqlite;

/// <summary>
/// The SQLite schema as numbered migrations. <c>PRAGMA user_version</c> holds the version a file is at; opening runs
/// every later migration, each in its own transaction, so a store written by an older OiStream opens and upgrades.
/// </summary>
/// <remarks>
/// Candle tables are clustered on (series, minute number) (<c>WITHOUT ROWID</c>): a range read of one series is one
/// sequential scan, and time as a minute number takes 4 bytes instead of 6. Open, high and low are NULL when they equal
/// the close (most minutes of a USDⓈ-M contract, whose coin quantity moves only when OI is polled; every imported
/// exchange row), which saves 24 bytes a row.
/// </remarks>
internal static class SqliteSchema
{
    /// <summary><c>PRAGMA application_id</c> of an OiStream store ("OiSt"): tells it apart from a foreign SQLite file.</summary>
    public const int ApplicationId = 0x4F695374;

    private const string CandleColumns =
        "(series INTEGER NOT NULL, t INTEGER NOT NULL, open REAL, high REAL, low REAL, close REAL NOT NULL, usd REAL, price REAL, samples INTEGER NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID";

    /// <summary>Migration i brings a store from version i to i + 1.</summary>
    public static readonly string[] Migrations =
    [
        $"""
        PRAGMA application_id = {ApplicationId};
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE series (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (kind, name));
        CREATE TABLE candles_1m {CandleColumns};
        CREATE TABLE candles_5m {CandleColumns};
        """,
        // What an import learned of the exchange per series (it holds nothing before checked_from), so a span it cannot
        // fill (before a listing) is not asked for again at every start.
        """
        CREATE TABLE imports (series INTEGER PRIMARY KEY, checked_from INTEGER NOT NULL, checked_to INTEGER NOT NULL);
        """,
        // The instruments tracked when the hub last wrote, so a restart while the exchange is out of reach serves the store.
        """
        CREATE TABLE instruments (symbol TEXT PRIMARY KEY, market INTEGER NOT NULL, coin TEXT NOT NULL, contract_type TEXT NOT NULL,
            contract_size REAL NOT NULL, quote TEXT NOT NULL) WITHOUT ROWID;
        """,
    ];

    /// <summary>The version a fully migrated store is at.</summary>
    public static int Latest => Migrations.Length;

    /// <summary>Runs the migrations from the store's version up to <paramref name="target"/>.</summary>
    public static void Migrate(SqliteConnection connection, int from, int target)
    {
        for (var v = from; v < target; v++)
        {
            using var tx = connection.BeginTransaction();
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = Migrations[v] + $"\nPRAGMA user_version = {v + 1};";
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }
}
