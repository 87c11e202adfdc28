namespace OiStream.Server.Fanout;

/// <summary>
/// What the publisher needs of the fan-out: offer messages to a topic's members during a round, then write each
/// member's messages of the round at once (<see cref="Flush"/>), never waiting on a client.
/// </summary>
public interface IFanout
{
    /// <summary>True when a topic has members (so a message nobody takes need not be built).</summary>
    bool HasMembers(string topic);

    /// <summary>Offers a message to every member of a topic.</summary>
    void Publish(string topic, Outgoing message);

    /// <summary>Offers a message once to every connection in any of these topics.</summary>
    void Publish(IEnumerable<string> topics, Outgoing message);

    /// <summary>Offers a message to every connection.</summary>
    void PublishAll(Outgoing message);

    /// <summary>Ends a round: each connection's messages offered since the last flush go out as one write.</summary>
    void Flush();
}
