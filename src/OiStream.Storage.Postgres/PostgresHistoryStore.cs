using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;

namespace OiStream.Storage.Postgres;

/// <summary>
/// The shared store of a cluster: the history tables in one schema of a PostgreSQL database, read and written by every
/// node through a pooled <see cref="NpgsqlDataSource"/>. One node writes at a time (the leader); any node reads.
/// </summary>
/// <remarks>
/// A write is one transaction sent as one batch of statements (one round trip, whatever the number of candles), in
/// the order given, so a minute and an imported bucket in one write meet as they would one after the other.
/// </remarks>
public sealed partial class PostgresHistoryStore : IHistoryStore
{
    private const long Minute = OiCandle.OneMinute;

    // Statements per round trip: big enough that an import's thousands of rows take few trips, small enough that one
    // trip's parameters stay well under the protocol's 65,535 per message.
    private const int BatchStatements = 2000;

    private readonly NpgsqlDataSource _source;
    private readonly string _schema;
    private readonly string _q;
    private readonly string _setting;
    private readonly string _where;
    private readonly Dictionary<SeriesKey, int> _ids = [];
    // The write statements, made once: a write sends thousands of them.
    private readonly string _mergeMinute;
    private readonly string _mergeFive;
    private readonly string _importFive;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _open;

    /// <summary>Creates the store; nothing is touched until it is opened.</summary>
    /// <param name="connectionString">An Npgsql connection string (host, port, database, user, password).</param>
    /// <param name="schema">The schema that holds the tables (created when missing): one per OiStream deployment.</param>
    /// <param name="setting">The configuration key that gave the connection string, quoted in errors.</param>
    /// <exception cref="HistoryStoreException">The connection string or the schema name is not usable.</exception>
    public PostgresHistoryStore(string connectionString, string schema = "oistream", string setting = "OiStream:Storage:ConnectionString")
    {
        _setting = setting;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new HistoryStoreException($"{setting} is empty; the postgres store needs one, e.g. 'Host=127.0.0.1;Port=5432;Database=oistream;Username=oistream;Password=…'.");
        }
        if (!SchemaName().IsMatch(schema ?? ""))
        {
            throw new HistoryStoreException($"OiStream:Storage:Schema is '{schema}'; use lower-case letters, digits and '_' (up to 63, not starting with a digit), e.g. 'oistream'.");
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new HistoryStoreException($"{setting} is not a valid connection string ({ex.Message}). Write it as 'Host=…;Port=…;Database=…;Username=…;Password=…'.", ex);
        }
        builder.ApplicationName ??= "oistream";
        _schema = schema!;
        _q = "\"" + _schema + "\"";
        _where = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}, schema {_schema}";
        _source = NpgsqlDataSource.Create(builder.ConnectionString);
        _mergeMinute = MergeSql("candles_1m");
        _mergeFive = MergeSql("candles_5m");
        _importFive = $"INSERT INTO {_q}.candles_5m (series, t, open, high, low, close, usd, price, samples) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (series, t) DO NOTHING";
    }

    /// <inheritdoc />
    public string Description => _where;

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    /// <inheritdoc />
    public async Task OpenAsync(string source, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        try
        {
            await using var connection = await _source.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await ExecAsync(connection, tx, $"SELECT pg_advisory_xact_lock({PostgresSchema.MigrationLock})", cancellationToken);
            var tables = new HashSet<string>(StringComparer.Ordinal);
            await using (var cmd = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", connection, tx))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = _schema });
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    tables.Add(reader.GetString(0));
                }
            }
            var version = 0;
            if (tables.Count > 0)
            {
                if (!tables.Contains("meta"))
                {
                    throw new HistoryStoreException($"{_where} holds tables OiStream did not write ({string.Join(", ", tables.Order(StringComparer.Ordinal).Take(5))}). Nothing was changed. Set OiStream:Storage:Schema to a schema of OiStream's own.");
                }
                var held = await ScalarAsync<string>(connection, tx, $"SELECT value FROM {_q}.meta WHERE key = 'schema_version'", cancellationToken);
                version = held is null ? 0 : int.Parse(held, CultureInfo.InvariantCulture);
                if (version > PostgresSchema.Latest)
                {
                    throw new HistoryStoreException($"{_where} was written by a newer OiStream (schema {version}; this one knows up to {PostgresSchema.Latest}). Nothing was changed. Run the newer OiStream, or set OiStream:Storage:Schema to another schema.");
                }
            }
            else
            {
                await ExecAsync(connection, tx, $"CREATE SCHEMA IF NOT EXISTS {_q}", cancellationToken);
            }
            for (var v = version; v < PostgresSchema.Latest; v++)
            {
                await ExecAsync(connection, tx, PostgresSchema.Migrations[v].Replace("{S}", _q, StringComparison.Ordinal), cancellationToken);
            }
            await ExecAsync(connection, tx,
                $"INSERT INTO {_q}.meta (key, value) VALUES ('schema_version', '{Math.Max(version, PostgresSchema.Latest)}') ON CONFLICT (key) DO UPDATE SET value = excluded.value", cancellationToken);

            var heldSource = await ScalarAsync<string>(connection, tx, $"SELECT value FROM {_q}.meta WHERE key = 'source'", cancellationToken);
            if (heldSource is not null && heldSource != source)
            {
                throw new HistoryStoreException($"{_where} holds {heldSource} history, and this hub runs on {source} data. OiStream never mixes the two. Set OiStream:Storage:Schema to another schema for {source} data.");
            }
            await using (var cmd = new NpgsqlCommand($"INSERT INTO {_q}.meta (key, value) VALUES ('source', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", connection, tx))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = source });
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
            await tx.CommitAsync(cancellationToken);
            _open = true;
        }
        catch (Exception ex) when (ex is NpgsqlException or PostgresException or TimeoutException)
        {
            throw new HistoryStoreException($"{_where} cannot be used: {ex.Message.TrimEnd('.')}. Check that PostgreSQL runs there and that {_setting} names a user allowed to create a schema (or owning '{_schema}').", ex);
        }
    }

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<OiCandle> candles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candles);
        foreach (var c in candles)
        {
            if (c.Resolution is not (OiCandle.OneMinute or OiCandle.FiveMinutes))
            {
                throw new ArgumentException($"Candles are stored at 1m or 5m; this one is {c.Resolution} ms.", nameof(candles));
            }
        }
        await InWriteTransactionAsync(async (connection, tx, newIds) =>
        {
            for (var at = 0; at < candles.Count; at += BatchStatements / 2)
            {
                await using var batch = new NpgsqlBatch(connection, tx);
                foreach (var c in candles.Skip(at).Take(BatchStatements / 2))
                {
                    var id = await SeriesIdAsync(connection, tx, c.Series, newIds, cancellationToken);
                    var bucket = (c.Time - (c.Time % OiCandle.FiveMinutes)) / Minute;
                    if (c.Resolution == OiCandle.OneMinute)
                    {
                        batch.BatchCommands.Add(Candle(_mergeMinute, id, c.Time / Minute, c));
                        batch.BatchCommands.Add(Candle(_mergeFive, id, bucket, c));
                    }
                    else
                    {
                        batch.BatchCommands.Add(Candle(_importFive, id, bucket, c));
                    }
                }
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
        }, cancellationToken);
    }

    // Right-hand sides read the stored row as it was (PostgreSQL evaluates every SET expression against the old row).
    private string MergeSql(string table) => $"""
        INSERT INTO {_q}.{table} AS c (series, t, open, high, low, close, usd, price, samples) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (series, t) DO UPDATE SET
          open = nullif(coalesce(c.open, c.close), excluded.close),
          high = nullif(greatest(coalesce(c.high, c.close), coalesce(excluded.high, excluded.close)), excluded.close),
          low = nullif(least(coalesce(c.low, c.close), coalesce(excluded.low, excluded.close)), excluded.close),
          close = excluded.close,
          usd = coalesce(excluded.usd, c.usd),
          price = coalesce(excluded.price, c.price),
          samples = c.samples + excluded.samples
        """;

    private static NpgsqlBatchCommand Candle(string sql, int series, long minute, in OiCandle c)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        var p = cmd.Parameters;
        p.Add(new NpgsqlParameter<int> { TypedValue = series });
        p.Add(new NpgsqlParameter<long> { TypedValue = minute });
        p.Add(Real(CandleRead.OrNullIfClose(c.Open, c.Close)));
        p.Add(Real(CandleRead.OrNullIfClose(c.High, c.Close)));
        p.Add(Real(CandleRead.OrNullIfClose(c.Low, c.Close)));
        p.Add(Real(c.Close));
        p.Add(Real(CandleRead.OrNull(c.CloseUsd)));
        p.Add(Real(CandleRead.OrNull(c.ClosePrice)));
        p.Add(new NpgsqlParameter<int> { TypedValue = c.Samples });
        return cmd;
    }

    private static NpgsqlParameter Real(double? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Double, Value = value is { } v ? v : DBNull.Value };

    private async Task<int> SeriesIdAsync(NpgsqlConnection connection, NpgsqlTransaction tx, SeriesKey key, List<SeriesKey> newIds, CancellationToken cancellationToken)
    {
        if (_ids.TryGetValue(key, out var id))
        {
            return id;
        }
        await using var cmd = new NpgsqlCommand(
            $"INSERT INTO {_q}.series (kind, name) VALUES ($1, $2) ON CONFLICT (kind, name) DO UPDATE SET name = excluded.name RETURNING id", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)key.Kind });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Name });
        id = (int)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        _ids[key] = id;
        newIds.Add(key);
        return id;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OiCandle>> ReadAsync(SeriesKey series, long resolution, long start, long until, int limit, bool fromStart, CancellationToken cancellationToken)
    {
        var read = CandleRead.For(resolution, start, until, limit);
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(
            $"SELECT c.t, c.open, c.high, c.low, c.close, c.usd, c.price, c.samples FROM {_q}.{(read.FiveMinuteTable ? "candles_5m" : "candles_1m")} c " +
            $"JOIN {_q}.series s ON s.id = c.series WHERE s.kind = $1 AND s.name = $2 AND c.t BETWEEN $3 AND $4 ORDER BY c.t {(fromStart ? "ASC" : "DESC")} LIMIT $5", connection);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)series.Kind });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = series.Name });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = read.FromMinute });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = read.UntilMinute });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = read.Rows });
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

    private async Task<List<OiCandle>> ReadAllSinceAsync(NpgsqlConnection connection, string table, long step, long since, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT s.name, c.t, c.open, c.high, c.low, c.close, c.usd, c.price, c.samples FROM {_q}.series s JOIN {_q}.{table} c ON c.series = s.id WHERE s.kind = 0 AND c.t >= $1 ORDER BY s.id, c.t", connection);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = CandleRead.FloorMinute(since) });
        return await CandleRead.RunPerInstrumentAsync(cmd, step, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SeriesExtent?> GetExtentAsync(SeriesKey series, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand($"""
            SELECT min(a), max(b) FROM (
              SELECT min(c.t) AS a, max(c.t) AS b FROM {_q}.candles_1m c JOIN {_q}.series s ON s.id = c.series WHERE s.kind = $1 AND s.name = $2
              UNION ALL
              SELECT min(c.t), max(c.t) FROM {_q}.candles_5m c JOIN {_q}.series s ON s.id = c.series WHERE s.kind = $1 AND s.name = $2) x
            """, connection);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)series.Kind });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = series.Name });
        return await CandleRead.RunExtentAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(long resolution, long before, CancellationToken cancellationToken)
    {
        var table = CandleRead.StoredTable(resolution);
        EnsureOpen();
        // One statement: PostgreSQL's row versions let the writer's batches and every reader go on meanwhile.
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand($"DELETE FROM {_q}.{table} WHERE t < $1", connection);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = CandleRead.FloorMinute(before) });
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TimeRange>> FindGapsAsync(SeriesKey series, TimeRange range, CancellationToken cancellationToken)
    {
        var span = CandleRead.FiveMinuteSpan(range);
        if (span.To <= span.From)
        {
            return [];
        }
        var held = new List<long>();
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(
            $"SELECT c.t FROM {_q}.candles_5m c JOIN {_q}.series s ON s.id = c.series WHERE s.kind = $1 AND s.name = $2 AND c.t >= $3 AND c.t < $4 ORDER BY c.t", connection);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)series.Kind });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = series.Name });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = span.From });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = span.To });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add(reader.GetInt64(0));
        }
        return CandleRead.Gaps(span, held);
    }

    /// <inheritdoc />
    public async Task<TimeRange?> GetImportedAsync(SeriesKey series, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(
            $"SELECT i.checked_from, i.checked_to FROM {_q}.imports i JOIN {_q}.series s ON s.id = i.series WHERE s.kind = $1 AND s.name = $2", connection);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)series.Kind });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = series.Name });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new TimeRange(reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    /// <inheritdoc />
    public Task SetImportedAsync(SeriesKey series, TimeRange range, CancellationToken cancellationToken) =>
        InWriteTransactionAsync(async (connection, tx, newIds) =>
        {
            var id = await SeriesIdAsync(connection, tx, series, newIds, cancellationToken);
            await using var cmd = new NpgsqlCommand(
                $"INSERT INTO {_q}.imports (series, checked_from, checked_to) VALUES ($1, $2, $3) ON CONFLICT (series) DO UPDATE SET checked_from = excluded.checked_from, checked_to = excluded.checked_to",
                connection, tx);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = range.From });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = range.To });
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<InstrumentInfo>> ReadInstrumentsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        // Ordinal order, as the SQLite store gives, whatever the database's collation.
        await using var cmd = new NpgsqlCommand($"SELECT symbol, market, coin, contract_type, contract_size, quote FROM {_q}.instruments ORDER BY symbol COLLATE \"C\"", connection);
        return await CandleRead.RunInstrumentsAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public Task SaveInstrumentsAsync(IReadOnlyList<InstrumentInfo> instruments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        return InWriteTransactionAsync(async (connection, tx, _) =>
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE FROM {_q}.instruments"));
            foreach (var i in instruments)
            {
                var cmd = new NpgsqlBatchCommand(
                    $"INSERT INTO {_q}.instruments (symbol, market, coin, contract_type, contract_size, quote) VALUES ($1, $2, $3, $4, $5, $6) " +
                    "ON CONFLICT (symbol) DO UPDATE SET market = excluded.market, coin = excluded.coin, contract_type = excluded.contract_type, contract_size = excluded.contract_size, quote = excluded.quote");
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = i.Symbol });
                cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)i.Market });
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = i.Coin });
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = i.ContractType });
                cmd.Parameters.Add(new NpgsqlParameter<double> { TypedValue = i.ContractSize });
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = i.QuoteAsset });
                batch.BatchCommands.Add(cmd);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    // One transaction under the write gate (one writer at a time in this process); series ids handed out inside a
    // transaction that did not commit are forgotten.
    private async Task InWriteTransactionAsync(Func<NpgsqlConnection, NpgsqlTransaction, List<SeriesKey>, Task> work, CancellationToken cancellationToken)
    {
        EnsureOpen();
        await _writeGate.WaitAsync(cancellationToken);
        var newIds = new List<SeriesKey>();
        try
        {
            await using var connection = await _source.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await work(connection, tx, newIds);
            await tx.CommitAsync(cancellationToken);
        }
        catch
        {
            foreach (var key in newIds)
            {
                _ids.Remove(key);
            }
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private void EnsureOpen()
    {
        if (!_open)
        {
            throw new InvalidOperationException("Open the store first.");
        }
    }

    private ValueTask<NpgsqlConnection> OpenReaderAsync(CancellationToken cancellationToken) => _source.OpenConnectionAsync(cancellationToken);

    private static async Task ExecAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken) where T : class
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        return await cmd.ExecuteScalarAsync(cancellationToken) as T;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _open = false;
        await _source.DisposeAsync();
        _writeGate.Dispose();
    }
}
