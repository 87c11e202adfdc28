using System.Net;

namespace OiStream.Feeds;

/// <summary>A venue answered with an HTTP status that is not success; the message names the status, the body and what to do.</summary>
public sealed class VenueHttpException(string venue, string what, HttpStatusCode status, string body)
    : Exception($"{venue} answered {what} with HTTP {(int)status}: {Trim(body)}" + status switch
    {
        HttpStatusCode.Forbidden => " (an IP ban for too many requests: requests wait until it ends).",
        HttpStatusCode.TooManyRequests => " (its rate limit: requests slow down).",
        _ => ".",
    })
{
    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    private static string Trim(string body) => body.Length > 200 ? body[..200] + "…" : body;
}
