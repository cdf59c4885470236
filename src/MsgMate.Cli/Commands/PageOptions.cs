using System.CommandLine;

namespace MsgMate.Cli.Commands;

/// <summary>The <c>--page</c> and <c>--page-size</c> of a list verb, and the query string they make.</summary>
public sealed class PageOptions
{
    private readonly Option<int> _page = new("--page") { Description = "Page number, from 1", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _pageSize;

    public PageOptions(Command list, string items)
    {
        _pageSize = new Option<int>("--page-size") { Description = $"{items} per page, 1 to 100", DefaultValueFactory = _ => 20 };
        list.Options.Add(_page);
        list.Options.Add(_pageSize);
    }

    public string Query(ParseResult parsed) => $"page={parsed.GetValue(_page)}&page_size={parsed.GetValue(_pageSize)}";
}
