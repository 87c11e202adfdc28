using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace OiStream.Server.Telemetry;

/// <summary>
/// Counts the bytes the hub writes to its connections (HTTP responses and WebSocket frames alike), as Kestrel connection
/// middleware around each connection's output: neither SignalR nor Kestrel counts them. The count is one addition per
/// write, exported as <c>oistream_sent_bytes_total</c>.
/// </summary>
public sealed class ByteCounter
{
    private long _sent;

    /// <summary>Bytes written to every connection so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Wraps a connection's transport so what is written to it is counted.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => context =>
    {
        context.Transport = new CountingPipe(context.Transport, this);
        return next(context);
    };

    private void Add(int bytes) => Interlocked.Add(ref _sent, bytes);

    private sealed class CountingPipe(IDuplexPipe inner, ByteCounter counter) : IDuplexPipe
    {
        public PipeReader Input { get; } = inner.Input;

        public PipeWriter Output { get; } = new CountingWriter(inner.Output, counter);
    }

    private sealed class CountingWriter(PipeWriter inner, ByteCounter counter) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            counter.Add(bytes);
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            counter.Add(source.Length);
            return inner.WriteAsync(source, cancellationToken);
        }
    }
}
