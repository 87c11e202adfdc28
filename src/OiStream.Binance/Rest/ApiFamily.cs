namespace OiStream.Binance.Rest;

/// <summary>A Binance REST API with its own weight budget.</summary>
public enum ApiFamily
{
    /// <summary>fapi (USDⓈ-M).</summary>
    UsdM,

    /// <summary>dapi (COIN-M).</summary>
    CoinM,

    /// <summary>eapi (options).</summary>
    Options,
}

/// <summary>Binance answered with an error (<c>{"code":…,"msg":…}</c>) or an unexpected status.</summary>
public sealed class BinanceApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BinanceApiException(int status, int code, string binanceMessage, string request)
        : base($"Binance answered {status} {code} \"{binanceMessage}\" to GET {request}.")
    {
        Status = status;
        Code = code;
        BinanceMessage = binanceMessage;
        Request = request;
    }

    /// <summary>HTTP status.</summary>
    public int Status { get; }

    /// <summary>Binance error code, e.g. -1121 (invalid symbol), -1003 (rate limit), -4108 (not trading); 0 if none.</summary>
    public int Code { get; }

    /// <summary>Binance's own message.</summary>
    public string BinanceMessage { get; }

    /// <summary>Path and query of the request.</summary>
    public string Request { get; }

    /// <summary>429 or 418: the request was refused for rate limiting and should be retried later.</summary>
    public bool IsRateLimited => Status is 429 or 418;
}
