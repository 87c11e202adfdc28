using OiStream.Core.Instruments;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Replication;

/// <summary>
/// The engine's publications on their way to Redis (a leader with edges): a second <see cref="PublishChannel"/>, so a
/// Redis that is slow or away never holds up the engine or the local clients, and what waits is merged to the newest
/// state of each instrument and coin. It also carries the instrument catalog, which edges need for the history API.
/// </summary>
public sealed class ReplicationChannel : PublishChannel
{
    private IReadOnlyList<InstrumentInfo> _catalog = [];
    private long _catalogVersion;

    /// <summary>The latest catalog the engine offered.</summary>
    public IReadOnlyList<InstrumentInfo> Catalog => Volatile.Read(ref _catalog);

    /// <summary>Goes up by one with every catalog offered.</summary>
    public long CatalogVersion => Interlocked.Read(ref _catalogVersion);

    /// <summary>Offers the engine's catalog after instruments came or went (the engine loop).</summary>
    public void OfferCatalog(IReadOnlyList<InstrumentInfo> catalog)
    {
        Volatile.Write(ref _catalog, catalog);
        Interlocked.Increment(ref _catalogVersion);
    }
}
