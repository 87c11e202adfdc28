namespace OiStream.Notifier.Rules;

/// <summary>A rules file that cannot be used: every problem found, each as <c>file:line:column: what is wrong and how to fix it</c>.</summary>
public sealed class RuleFileException(IReadOnlyList<string> problems)
    : Exception($"The rules file has {problems.Count} problem{(problems.Count == 1 ? "" : "s")}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}")
{
    /// <summary>The problems, one line each.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
