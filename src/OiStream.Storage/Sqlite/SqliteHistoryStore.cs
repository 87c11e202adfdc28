using System.Text;
using Microsoft.Data.Sqlite;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;

namespace OiStream.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode (readers never wait for the writer). The writer keeps one
/// connection with its statements prepared; each read opens a pooled connection of its own.
/// </summary>
public sealed class SqliteHistoryStore : IHistoryStore
{
    private const long Minute = OiCandle.OneMinute;
    private static readonly byte[] SqliteHeader = Encoding.ASCII.GetBytes("SQLite format 3\0");

    private readonly string _path;
    private readonly string _setting;
    private readonly string _connectionString;
    private readonly Dictionary<SeriesKey, long> _ids = [];
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private SqliteConnection? _writer;

    /// <summary>Creates the store for the file at <paramref name="path"/>; nothing is touched until it is opened.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="setting">The configuration key that named the path, quoted in errors.</param>
    public SqliteHistoryStore(string path, string setting = "OiStream:Storage:Path")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = System.IO.Path.GetFullPath(path);
        _setting = setting;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path => _path;

    /// <inheritdoc />
    public string Description => $"SQLite file {_path}";

    /// <inheritdoc />
    public Task OpenAsync(string source, CancellationToken cancellationToken) => OpenAsync(source, SqliteSchema.Latest, cancellationToken);

    /// <summary>Opens and migrates only up to <paramref name="schemaVersion"/> (tests make old stores with it).</summary>
    internal Task OpenAsync(string source, int schemaVersion, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        CheckFile();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Exec(connection, "PRAGMA busy_timeout = 30000");
            var appId = Scalar<long>(connection, "PRAGMA application_id");
            var tables = Scalar<long>(connection, "SELECT count(*) FROM sqlite_master");
            if (appId != SqliteSchema.ApplicationId && (appId != 0 || tables > 0))
            {
                throw new HistoryStoreException($"{_setting} is '{_path}', an SQLite database that OiStream did not write (application_id {appId}, {tables} objects). Nothing was changed. Point {_setting} at another file, or move this one away.");
            }
            var version = (int)Scalar<long>(connection, "PRAGMA user_version");
            if (version > SqliteSchema.Latest)
            {
                throw new HistoryStoreException($"{_setting} is '{_path}', written by a newer OiStream (schema {version}; this one knows up to {SqliteSchema.Latest}). Nothing was changed. Run the newer OiStream, or point {_setting} at another file.");
            }
            Exec(connection, "PRAGMA journal_mode = WAL");
            Exec(connection, "PRAGMA synchronous = NORMAL");
            SqliteSchema.Migrate(connection, version, Math.Max(version, schemaVersion));

            var held = (string?)connection.CreateCommandWith("SELECT value FROM meta WHERE key = 'source'").ExecuteScalar();
            if (held is not null && held != source)
            {
                throw new HistoryStoreException($"{_setting} is '{_path}', which holds {held} history, and this hub runs on {source} data. OiStream never mixes the two. Point {_setting} at another file (--simulate uses data/oistream-simulated.db unless told otherwise).");
            }
            // Also proves the file is writable now, rather than at the first batch.
            using (var cmd = connection.CreateCommandWith("INSERT INTO meta (key, value) VALUES ('source', $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value"))
            {
                cmd.Parameters.AddWithValue("$v", source);
                cmd.ExecuteNonQuery();
            }
            _writer = connection;
            return Task.CompletedTask;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new HistoryStoreException($"{_setting} is '{_path}', which cannot be used: {ex.Message.TrimEnd('.')}. Nothing was overwritten. Check that the file is an OiStream store on a writable disk, or point {_setting} elsewhere.", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void CheckFile()
    {
        var directory = System.IO.Path.GetDirectoryName(_path)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HistoryStoreException($"{_setting} is '{_path}', but its directory '{directory}' cannot be created: {ex.Message} Point {_setting} at a writable place.", ex);
        }
        if (Directory.Exists(_path))
        {
            throw new HistoryStoreException($"{_setting} is '{_path}', which is a directory. Give a file name, e.g. '{System.IO.Path.Combine(_path, "oistream.db")}'.");
        }
        if (!File.Exists(_path) || new FileInfo(_path).Length == 0)
        {
            return;
        }
        var head = new byte[SqliteHeader.Length];
        int read;
        try
        {
            using var file = File.OpenRead(_path);
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HistoryStoreException($"{_setting} is '{_path}', which cannot be read: {ex.Message} Fix its permissions or point {_setting} elsewhere.", ex);
        }
        if (read < head.Length || !head.AsSpan().SequenceEqual(SqliteHeader))
        {
            throw new HistoryStoreException($"{_setting} is '{_path}', which is not an SQLite database (a foreign or corrupt file). Nothing was overwritten. Move it away, or point {_setting} at another file.");
        }
    }

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<OiCandle> candles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candles);
        var connection = _writer ?? throw new InvalidOperationException("Open the store first.");
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            using var tx = connection.BeginTransaction();
            using var merge1 = MergeCommand(connection, tx, "candles_1m");
            using var merge5 = MergeCommand(connection, tx, "candles_5m");
            using var import5 = connection.CreateCommandWith(
                "INSERT OR IGNORE INTO candles_5m (series, t, open, high, low, close, usd, price, samples) VALUES ($s, $t, $o, $h, $l, $c, $u, $p, $n)", tx);
            AddCandleParameters(import5);
            var newIds = new List<SeriesKey>();
            try
            {
                foreach (var c in candles)
                {
                    var id = SeriesId(connection, tx, c.Series, newIds);
                    if (c.Resolution == OiCandle.OneMinute)
                    {
                        Bind(merge1, id, c.Time / Minute, c);
                        merge1.ExecuteNonQuery();
                        Bind(merge5, id, (c.Time - (c.Time % OiCandle.FiveMinutes)) / Minute, c);
                        merge5.ExecuteNonQuery();
                    }
                    else if (c.Resolution == OiCandle.FiveMinutes)
                    {
                        Bind(import5, id, (c.Time - (c.Time % OiCandle.FiveMinutes)) / Minute, c);
                        import5.ExecuteNonQuery();
                    }
                    else
                    {
                        throw new ArgumentException($"Candles are stored at 1m or 5m; this one is {c.Resolution} ms.", nameof(candles));
                    }
                }
                tx.Commit();
            }
            catch
            {
                // Ids handed out inside a transaction that did not commit do not exist.
                foreach (var key in newIds)
                {
                    _ids.Remove(key);
                }
                throw;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private long SeriesId(SqliteConnection connection, SqliteTransaction tx, SeriesKey key, List<SeriesKey> newIds)
    {
        if (_ids.TryGetValue(key, out var id))
        {
            return id;
        }
        using var cmd = connection.CreateCommandWith(
            "INSERT INTO series (kind, name) VALUES ($k, $n) ON CONFLICT (kind, name) DO UPDATE SET name = name RETURNING id", tx);
        cmd.Parameters.AddWithValue("$k", (int)key.Kind);
        cmd.Parameters.AddWithValue("$n", key.Name);
        id = (long)cmd.ExecuteScalar()!;
        _ids[key] = id;
        newIds.Add(key);
        return id;
    }

    private static SqliteCommand MergeCommand(SqliteConnection connection, SqliteTransaction tx, string table)
    {
        // Right-hand sides read the stored row as it was (SQLite evaluates every SET expression against the old row).
        var cmd = connection.CreateCommandWith($"""
            INSERT INTO {table} (series, t, open, high, low, close, usd, price, samples) VALUES ($s, $t, $o, $h, $l, $c, $u, $p, $n)
            ON CONFLICT (series, t) DO UPDATE SET
              open = nullif(coalesce(open, close), excluded.close),
              high = nullif(max(coalesce(high, close), coalesce(excluded.high, excluded.close)), excluded.close),
              low = nullif(min(coalesce(low, close), coalesce(excluded.low, excluded.close)), excluded.close),
              close = excluded.close,
              usd = coalesce(excluded.usd, usd),
              price = coalesce(excluded.price, price),
              samples = samples + excluded.samples
            """, tx);
        AddCandleParameters(cmd);
        return cmd;
    }

    private static void AddCandleParameters(SqliteCommand cmd)
    {
        foreach (var name in new[] { "$s", "$t", "$o", "$h", "$l", "$c", "$u", "$p", "$n" })
        {
            cmd.Parameters.Add(name, name is "$s" or "$t" or "$n" ? SqliteType.Integer : SqliteType.Real);
        }
        cmd.Prepare();
    }

    private static void Bind(SqliteCommand cmd, long series, long minute, in OiCandle c)
    {
        var p = cmd.Parameters;
        p[0].Value = series;
        p[1].Value = minute;
        p[2].Value = Db(CandleRead.OrNullIfClose(c.Open, c.Close));
        p[3].Value = Db(CandleRead.OrNullIfClose(c.High, c.Close));
        p[4].Value = Db(CandleRead.OrNullIfClose(c.Low, c.Close));
        p[5].Value = c.Close;
        p[6].Value = Db(CandleRead.OrNull(c.CloseUsd));
        p[7].Value = Db(CandleRead.OrNull(c.ClosePrice));
        p[8].Value = c.Samples;
    }

    private static object Db(double? value) => value is { } v ? v : DBNull.Value;

    /// <inheritdoc />
    public async Task<IReadOnlyList<OiCandle>> ReadAsync(SeriesKey series, long resolution, long start, long until, int limit, bool fromStart, CancellationToken cancellationToken)
    {
        var read = CandleRead.For(resolution, start, until, limit);
        await using var connection = await OpenReaderAsync(cancellationToken);
        var id = await FindSeriesAsync(connection, series, cancellationToken);
        if (id is null)
        {
            return [];
        }
        await using var cmd = connection.CreateCommandWith(
            $"SELECT t, open, high, low, close, usd, price, samples FROM {(read.FiveMinuteTable ? "candles_5m" : "candles_1m")} WHERE series = $s AND t BETWEEN $a AND $b ORDER BY t {(fromStart ? "ASC" : "DESC")} LIMIT $n");
        cmd.Parameters.AddWithValue("$s", id.Value);
        cmd.Parameters.AddWithValue("$a", read.FromMinute);
        cmd.Parameters.AddWithValue("$b", read.UntilMinute);
        cmd.Parameters.AddWithValue("$n", read.Rows);
        return await read.RunAsync(cmd, series, resolution, limit, fromStart, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OiCandle>> ReadRecentAsync(long since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        var minutes = await ReadAllSinceAsync(connection, "candles_1m", Minute, since, cancellationToken);
        var fives = await ReadAllSinceAsync(connection, "candles_5m", OiCandle.FiveMinutes, since, cancellationToken);
        return CandleRead.Recent(minutes, fives);
    }

    private static async Task<List<OiCandle>> ReadAllSinceAsync(SqliteConnection connection, string table, long step, long since, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommandWith(
            $"SELECT s.name, c.t, c.open, c.high, c.low, c.close, c.usd, c.price, c.samples FROM series s JOIN {table} c ON c.series = s.id WHERE s.kind = 0 AND c.t >= $a ORDER BY s.id, c.t");
        cmd.Parameters.AddWithValue("$a", CandleRead.FloorMinute(since));
        return await CandleRead.RunPerInstrumentAsync(cmd, step, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SeriesExtent?> GetExtentAsync(SeriesKey series, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        var id = await FindSeriesAsync(connection, series, cancellationToken);
        if (id is null)
        {
            return null;
        }
        await using var cmd = connection.CreateCommandWith(
            "SELECT min(a), max(b) FROM (SELECT min(t) AS a, max(t) AS b FROM candles_1m WHERE series = $s UNION ALL SELECT min(t), max(t) FROM candles_5m WHERE series = $s)");
        cmd.Parameters.AddWithValue("$s", id.Value);
        return await CandleRead.RunExtentAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(long resolution, long before, CancellationToken cancellationToken)
    {
        var table = CandleRead.StoredTable(resolution);
        var connection = _writer ?? throw new InvalidOperationException("Open the store first.");
        var ids = new List<long>();
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var list = connection.CreateCommandWith("SELECT id FROM series");
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }
        }
        finally
        {
            _writeGate.Release();
        }
        long deleted = 0;
        // One short transaction per series: the writer's batches slip in between instead of waiting for a long delete.
        foreach (var id in ids)
        {
            await _writeGate.WaitAsync(cancellationToken);
            try
            {
                await using var cmd = connection.CreateCommandWith($"DELETE FROM {table} WHERE series = $s AND t < $t");
                cmd.Parameters.AddWithValue("$s", id);
                cmd.Parameters.AddWithValue("$t", CandleRead.FloorMinute(before));
                deleted += await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
            finally
            {
                _writeGate.Release();
            }
        }
        return deleted;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TimeRange>> FindGapsAsync(SeriesKey series, TimeRange range, CancellationToken cancellationToken)
    {
        var span = CandleRead.FiveMinuteSpan(range);
        if (span.To <= span.From)
        {
            return [];
        }
        await using var connection = await OpenReaderAsync(cancellationToken);
        var id = await FindSeriesAsync(connection, series, cancellationToken);
        var held = new List<long>();
        if (id is not null)
        {
            await using var cmd = connection.CreateCommandWith("SELECT t FROM candles_5m WHERE series = $s AND t >= $a AND t < $b ORDER BY t");
            cmd.Parameters.AddWithValue("$s", id.Value);
            cmd.Parameters.AddWithValue("$a", span.From);
            cmd.Parameters.AddWithValue("$b", span.To);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held.Add(reader.GetInt64(0));
            }
        }
        return CandleRead.Gaps(span, held);
    }

    /// <inheritdoc />
    public async Task<TimeRange?> GetImportedAsync(SeriesKey series, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var cmd = connection.CreateCommandWith(
            "SELECT i.checked_from, i.checked_to FROM imports i JOIN series s ON s.id = i.series WHERE s.kind = $k AND s.name = $n");
        cmd.Parameters.AddWithValue("$k", (int)series.Kind);
        cmd.Parameters.AddWithValue("$n", series.Name);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new TimeRange(reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<InstrumentInfo>> ReadInstrumentsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var cmd = connection.CreateCommandWith("SELECT symbol, market, coin, contract_type, contract_size, quote FROM instruments ORDER BY symbol");
        return await CandleRead.RunInstrumentsAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public Task SaveInstrumentsAsync(IReadOnlyList<InstrumentInfo> instruments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        return InWriteTransactionAsync((connection, tx) =>
        {
            using (var clear = connection.CreateCommandWith("DELETE FROM instruments", tx))
            {
                clear.ExecuteNonQuery();
            }
            using var insert = connection.CreateCommandWith(
                "INSERT OR REPLACE INTO instruments (symbol, market, coin, contract_type, contract_size, quote) VALUES ($s, $m, $c, $t, $z, $q)", tx);
            var p = (S: insert.Parameters.Add("$s", SqliteType.Text), M: insert.Parameters.Add("$m", SqliteType.Integer), C: insert.Parameters.Add("$c", SqliteType.Text),
                T: insert.Parameters.Add("$t", SqliteType.Text), Z: insert.Parameters.Add("$z", SqliteType.Real), Q: insert.Parameters.Add("$q", SqliteType.Text));
            foreach (var i in instruments)
            {
                p.S.Value = i.Symbol;
                p.M.Value = (int)i.Market;
                p.C.Value = i.Coin;
                p.T.Value = i.ContractType;
                p.Z.Value = i.ContractSize;
                p.Q.Value = i.QuoteAsset;
                insert.ExecuteNonQuery();
            }
        }, onFailure: null, cancellationToken);
    }

    /// <inheritdoc />
    public Task SetImportedAsync(SeriesKey series, TimeRange range, CancellationToken cancellationToken) =>
        InWriteTransactionAsync((connection, tx) =>
        {
            var id = SeriesId(connection, tx, series, []);
            using var cmd = connection.CreateCommandWith(
                "INSERT INTO imports (series, checked_from, checked_to) VALUES ($s, $f, $t) ON CONFLICT (series) DO UPDATE SET checked_from = excluded.checked_from, checked_to = excluded.checked_to", tx);
            cmd.Parameters.AddWithValue("$s", id);
            cmd.Parameters.AddWithValue("$f", range.From);
            cmd.Parameters.AddWithValue("$t", range.To);
            cmd.ExecuteNonQuery();
        },
        // Its id may have been handed out in the transaction that did not commit.
        onFailure: () => _ids.Remove(series), cancellationToken);

    // One transaction on the writer connection, under the write gate (one writer at a time, retention included).
    private async Task InWriteTransactionAsync(Action<SqliteConnection, SqliteTransaction> work, Action? onFailure, CancellationToken cancellationToken)
    {
        var connection = _writer ?? throw new InvalidOperationException("Open the store first.");
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            using var tx = connection.BeginTransaction();
            work(connection, tx);
            tx.Commit();
        }
        catch
        {
            onFailure?.Invoke();
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_writer is { } w)
        {
            await _writeGate.WaitAsync();
            try
            {
                // Folds the WAL back into the file, so a closed store is one file.
                Exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
            }
            catch (SqliteException)
            {
                // A full or read-only disk: the WAL stays and is replayed at the next open.
            }
            finally
            {
                await w.DisposeAsync();
                _writer = null;
                _writeGate.Release();
            }
        }
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        _writeGate.Dispose();
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task<long?> FindSeriesAsync(SqliteConnection connection, SeriesKey series, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommandWith("SELECT id FROM series WHERE kind = $k AND name = $n");
        cmd.Parameters.AddWithValue("$k", (int)series.Kind);
        cmd.Parameters.AddWithValue("$n", series.Name);
        return await cmd.ExecuteScalarAsync(cancellationToken) is long id ? id : null;
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommandWith(sql);
        cmd.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommandWith(sql);
        return (T)cmd.ExecuteScalar()!;
    }
}

internal static class SqliteCommandExtensions
{
    public static SqliteCommand CreateCommandWith(this SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }
}
