using Microsoft.AspNetCore.SignalR;

namespace OiStream.Server.Hubs;

/// <summary>
/// The hub's one log of a failed call. A client's bad input (a <see cref="HubException"/>, whose message goes back to
/// the client) is one Information line without a stack trace, so clients cannot flood the error log; anything else is
/// a fault of the hub, logged as an error with its exception. SignalR's own line for each failed call
/// (<c>DefaultHubDispatcher</c>, an error with a stack trace whatever the cause) is off in appsettings.json.
/// </summary>
public sealed partial class InvocationLogFilter(ILogger<InvocationLogFilter> logger) : IHubFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(invocationContext);
        }
        catch (HubException ex)
        {
            LogBadInput(logger, invocationContext.HubMethodName, invocationContext.Context.ConnectionId, ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, invocationContext.HubMethodName, invocationContext.Context.ConnectionId, ex);
            throw;
        }
    }

    [LoggerMessage(EventId = 701, EventName = "HubBadInput", Level = LogLevel.Information, Message = "{Method} from connection {ConnectionId} refused: {Problem}")]
    private static partial void LogBadInput(ILogger logger, string method, string connectionId, string problem);

    [LoggerMessage(EventId = 702, EventName = "HubCallFailed", Level = LogLevel.Error, Message = "{Method} from connection {ConnectionId} failed")]
    private static partial void LogFailed(ILogger logger, string method, string connectionId, Exception exception);
}
