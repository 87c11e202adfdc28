using Microsoft.Data.Sqlite;

namespace OiStream.Testing;

/// <summary>
/// A test's own directory for history stores, deleted at the end after SQLite's pooled connections to its files are
/// closed (an open pooled connection would keep a deleted file's space, and on some systems the directory).
/// </summary>
public sealed class TempStoreDirectory : IDisposable
{
    /// <summary>The directory (created by whoever first writes into it).</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "oistream-test-" + Guid.NewGuid().ToString("N"));

    /// <summary>A file in the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
