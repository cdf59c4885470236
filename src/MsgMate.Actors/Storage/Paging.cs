namespace MsgMate.Actors.Storage;

/// <summary>One page of a list, and how many items the whole list holds.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long Total);

/// <summary>1-based page numbers and sizes as the console sends them (1, 10, 50, 100).</summary>
public readonly record struct PageRequest(int Page, int PageSize)
{
    public const int MaxPageSize = 100;
    public const int DefaultPageSize = 10;

    /// <summary>
    /// The last page a list answers: at most 999,900 rows are skipped (an OFFSET the databases still walk in well
    /// under a second), and (page - 1) × page_size never overflows (a negative OFFSET is an error on PostgreSQL).
    /// </summary>
    public const int MaxPage = 10_000;

    public int Skip => (Page - 1) * PageSize;

    public static string? Validate(int page, int pageSize) =>
        page is < 1 or > MaxPage ? $"page must be between 1 and {MaxPage}"
        : pageSize is < 1 or > MaxPageSize ? $"page_size must be between 1 and {MaxPageSize}"
        : null;
}
