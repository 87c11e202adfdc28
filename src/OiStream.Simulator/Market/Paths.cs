namespace OiStream.Simulator.Market;

/// <summary>
/// Random steps calibrated to fact-sheet section 9: OI per ~12 s poll moves by a median of ≈ 0.39 bp with standard
/// deviation ≈ 1.6 bp and fat tails (a Student-t with 3 degrees of freedom has both); price moves ≈ 3 % a day.
/// </summary>
internal static class Paths
{
    // Per-second scales: OI tail-heavy t(3); median |t3| ≈ 0.765, sd √3. 12 s ⇒ √12 larger.
    // Chosen so that a 12 s step has median |Δ| ≈ 0.39 bp: 0.39e-4 / 0.765 / √12 ≈ 1.47e-5.
    public const double OiScalePerSecond = 1.47e-5;

    // 3 % daily volatility.
    public const double PricePerSecond = 0.03 / 293.9387691339814; // √86400

    public static double Normal(Random random)
    {
        // Box–Muller; one value per call is enough here.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static double StudentT3(Random random)
    {
        var z = Normal(random);
        var a = Normal(random);
        var b = Normal(random);
        var c = Normal(random);
        var chi = (a * a) + (b * b) + (c * c);
        return z / Math.Sqrt(chi / 3.0);
    }

    /// <summary>OI multiplier for a step of <paramref name="seconds"/>.</summary>
    public static double OiStep(Random random, double seconds)
        => Math.Exp(StudentT3(random) * OiScalePerSecond * Math.Sqrt(seconds));

    /// <summary>Price multiplier for a step of <paramref name="seconds"/>.</summary>
    public static double PriceStep(Random random, double seconds)
        => Math.Exp(Normal(random) * PricePerSecond * Math.Sqrt(seconds));
}
