using System.Text.Json.Serialization;
using MsgMate.Actors.Users;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Users;

/// <summary>A user on the wire: snake_case, as the Go project's console reads it.</summary>
public sealed record UserDto(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("nickname")] string Nickname,
    [property: JsonPropertyName("mobile")] string Mobile,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("lark_id")] string LarkId,
    [property: JsonPropertyName("dingtalk_id")] string DingtalkId,
    [property: JsonPropertyName("wechat_id")] string WechatId,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("create_time")] string CreateTime,
    [property: JsonPropertyName("modify_time")] string ModifyTime)
{
    public static UserDto From(UserState s, TimeZoneInfo zone) => new(
        s.UserId, s.Profile.Name, s.Profile.Nickname, s.Profile.Mobile, s.Profile.Email, s.Profile.LarkId,
        s.Profile.DingtalkId, s.Profile.WechatId, s.Tags, s.Status,
        ApiTime.Format(s.CreatedAt, zone), ApiTime.Format(s.ModifiedAt, zone));
}

public sealed class CreateUserRequest
{
    [JsonPropertyName("user_id")] public string? UserId { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("nickname")] public string? Nickname { get; set; }
    [JsonPropertyName("mobile")] public string? Mobile { get; set; }
    [JsonPropertyName("email")] public string? Email { get; set; }
    [JsonPropertyName("lark_id")] public string? LarkId { get; set; }
    [JsonPropertyName("dingtalk_id")] public string? DingtalkId { get; set; }
    [JsonPropertyName("wechat_id")] public string? WechatId { get; set; }
    [JsonPropertyName("tags")] public List<string?>? Tags { get; set; }
}

/// <summary>Empty or absent fields are kept (Go semantics); name them in clear_fields to empty them.</summary>
public sealed class UpdateUserRequest
{
    [JsonPropertyName("user_id")] public string? UserId { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("nickname")] public string? Nickname { get; set; }
    [JsonPropertyName("mobile")] public string? Mobile { get; set; }
    [JsonPropertyName("email")] public string? Email { get; set; }
    [JsonPropertyName("lark_id")] public string? LarkId { get; set; }
    [JsonPropertyName("dingtalk_id")] public string? DingtalkId { get; set; }
    [JsonPropertyName("wechat_id")] public string? WechatId { get; set; }

    /// <summary>Replaces the tag set when present; [] clears it.</summary>
    [JsonPropertyName("tags")] public List<string?>? Tags { get; set; }

    /// <summary>1 enables, 0 disables; absent leaves it.</summary>
    [JsonPropertyName("status")] public int? Status { get; set; }

    /// <summary>Fields to empty: nickname, mobile, email, lark_id, dingtalk_id, wechat_id, tags.</summary>
    [JsonPropertyName("clear_fields")] public List<string>? ClearFields { get; set; }
}

public sealed class UserIdRequest
{
    [JsonPropertyName("user_id")] public string? UserId { get; set; }
}

public sealed class FindByTagsRequest
{
    [JsonPropertyName("tags")] public List<string?>? Tags { get; set; }

    /// <summary>"all" or "any" (default).</summary>
    [JsonPropertyName("match_type")] public string? MatchType { get; set; }
    [JsonPropertyName("page")] public int? Page { get; set; }
    [JsonPropertyName("page_size")] public int? PageSize { get; set; }
}

public sealed record UserIdResponse([property: JsonPropertyName("user_id")] string UserId) : Envelope;

/// <summary>What an erase reached: the user's records now masked, and how many of them were cancelled before sending.</summary>
public sealed record EraseUserResponse(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("records_masked")] int RecordsMasked,
    [property: JsonPropertyName("records_cancelled")] int RecordsCancelled) : Envelope;

public sealed record GetUserResponse([property: JsonPropertyName("user")] UserDto User) : Envelope;

public sealed record UserListResponse(
    [property: JsonPropertyName("users")] IReadOnlyList<UserDto> Users,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize) : Envelope;

/// <summary>Go answered <c>users</c> and <c>count</c>; <c>total</c>/<c>page</c> follow its OpenAPI file.</summary>
public sealed record FindByTagsResponse(
    [property: JsonPropertyName("users")] IReadOnlyList<UserDto> Users,
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page) : Envelope;

public sealed record TagStatisticDto(
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("count")] long Count);

/// <summary>Go answered under <c>data</c>; its OpenAPI file says <c>statistics</c>: both carry the list.</summary>
public sealed record TagStatisticsResponse(
    [property: JsonPropertyName("data")] IReadOnlyList<TagStatisticDto> Data,
    [property: JsonPropertyName("statistics")] IReadOnlyList<TagStatisticDto> Statistics) : Envelope;
