using OiStream.Client;

namespace OiStream.Clients.Tests;

/// <summary>The number formats shared by the bot and the notifier (the JavaScript client has the same rules).</summary>
public sealed class OiFormatTests
{
    [Theory]
    [InlineData(2.2671, "+2.27 %")]
    [InlineData(-0.5, "−0.50 %")]
    [InlineData(-0.001, "0.00 %")] // rounds to zero: no sign
    [InlineData(0.004, "0.00 %")]
    [InlineData(0.0, "0.00 %")]
    [InlineData(double.NaN, "—")]
    public void Percent_signs_the_rounded_figure(double value, string expected) =>
        Assert.Equal(expected, OiFormat.Percent(value));

    [Fact]
    public void Percent_of_nothing_is_a_dash() => Assert.Equal("—", OiFormat.Percent(null));

    [Theory]
    [InlineData(9_000_124_638.96, "9.00B")]
    [InlineData(735_960_000, "735.96M")]
    [InlineData(52_400, "52.40K")]
    public void Compact_uses_thousands_suffixes(double value, string expected) =>
        Assert.Equal(expected, OiFormat.Compact(value));
}
