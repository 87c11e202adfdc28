namespace OiStream.Server.Fanout;

/// <summary>What the publisher needs of the fan-out: offer a message to a topic's members, never waiting on them.</summary>
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
}
