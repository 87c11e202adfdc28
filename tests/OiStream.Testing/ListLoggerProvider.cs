using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OiStream.Testing;

/// <summary>Collects every log line with its event id, for tests that check what was logged.</summary>
public sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(int Id, string Text)> _entries = new();

    /// <summary>Each line's event id and text, in order.</summary>
    public IReadOnlyCollection<(int Id, string Text)> Entries => _entries;

    /// <summary>Each line's text, in order.</summary>
    public IReadOnlyList<string> Lines => [.. _entries.Select(e => e.Text)];

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((eventId.Id, formatter(state, exception)));
    }
}
