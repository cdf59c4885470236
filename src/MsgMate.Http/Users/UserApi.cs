using System.Collections.Immutable;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
using MsgMate.Actors.Storage;
using MsgMate.Actors.Security;
using MsgMate.Actors.Users;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Users;

/// <summary>The <c>/user/*</c> routes of the wire contract. Handlers validate, ask and map; rules live in the entity.</summary>
public static class UserApi
{
    private static readonly ApiField UserIdField = Field.Text(
        "user_id", "The user's id, as the calling system names it: letters, digits and _ - . @ :",
        maxLength: UserId.MaxLength, required: true, pattern: UserId.AllowedPattern);

    private static readonly ApiField TagField = Field.Text("", "", maxLength: UserValidation.MaxTagLength) with { MinLength = 1 };

    private static readonly ApiField[] ProfileFields =
    [
        Field.Text("nickname", "Nickname", maxLength: UserValidation.MaxNameLength),
        Field.Text("mobile", "Mobile number: 5-20 digits, optionally starting with +", maxLength: 21, pattern: UserValidation.MobilePattern),
        Field.Text("email", "Email address", maxLength: UserValidation.MaxEmailLength, pattern: UserValidation.EmailPattern),
        Field.Text("lark_id", "Lark (Feishu) id", maxLength: UserValidation.MaxContactLength),
        Field.Text("dingtalk_id", "DingTalk id", maxLength: UserValidation.MaxContactLength),
        Field.Text("wechat_id", "WeCom id", maxLength: UserValidation.MaxContactLength),
    ];

    private static readonly ApiField StatusField = Field.IntChoice("status", "1 enabled, 0 disabled", [1, 0]);

    public static IEndpointRouteBuilder MapUserApi(this IEndpointRouteBuilder app, MsgMateOptions options)
    {
        var group = app.MapGroup("/user").WithTags("Users").RequireScope(Scope.Users);
        group.MapPost("/create", CreateAsync).Audited("user.create", "user_id")
            .AcceptsBody<CreateUserRequest>([
                UserIdField,
                Field.Text("name", "Name (trimmed)", maxLength: UserValidation.MaxNameLength, required: true),
                .. ProfileFields,
                Field.List("tags", $"Tags (trimmed, duplicates dropped; at most {UserValidation.MaxTags} distinct)", TagField, maxItems: UserValidation.MaxTagEntries)])
            .Produces<UserIdResponse>().WithErrors(ResultCode.UserExists)
            .WithSummary("Create a user (user_id and name required; 9001/409 if the id exists)");
        group.MapGet("/get", GetAsync).Produces<GetUserResponse>()
            .WithQueryParameters(UserIdField)
            .WithErrors(ResultCode.UserNotFound)
            .WithSummary("Get a user, enabled or disabled (9002/404 if unknown)");
        group.MapPost("/update", UpdateAsync).Audited("user.update", "user_id")
            .AcceptsBody<UpdateUserRequest>([
                UserIdField,
                Field.Text("name", "Name (trimmed); empty or absent keeps it", maxLength: UserValidation.MaxNameLength),
                .. ProfileFields,
                Field.List("tags", $"Replaces the tag set when present; [] clears it (at most {UserValidation.MaxTags} distinct)", TagField, maxItems: UserValidation.MaxTagEntries),
                StatusField with { Description = "1 enables, 0 disables; absent leaves it" },
                Field.List("clear_fields", "Fields to empty",
                    Field.Choice("", "", UserPatch.ClearableFields.Order(StringComparer.Ordinal)))])
            .Produces<Envelope>().WithErrors(ResultCode.UserNotFound)
            .WithSummary("Update a user: empty fields are kept, clear_fields empties them, tags replaces the set, status 1/0 enables/disables");
        group.MapGet("/list", ListAsync).Produces<UserListResponse>()
            .WithQueryParameters(
                Field.Page, Field.PageSize,
                Field.Text("user_id", "Only this user id", maxLength: UserId.MaxLength),
                Field.Text("keyword", "A substring of the user id, name, nickname, email or mobile (case-insensitive)", maxLength: UserValidation.MaxEmailLength),
                Field.Text("name", "The same as keyword (used when keyword is absent)", maxLength: UserValidation.MaxEmailLength),
                Field.Text("tag", "Only users carrying this tag", maxLength: UserValidation.MaxTagLength),
                StatusField with { Description = "Only enabled (1) or disabled (0) users" })
            .WithSummary("List users, newest first; filters user_id, keyword, tag, status");
        group.MapPost("/delete", DeleteAsync).Audited("user.delete", "user_id")
            .AcceptsBody<UserIdRequest>(UserIdField).Produces<Envelope>().WithErrors(ResultCode.UserNotFound)
            .WithSummary("Disable a user (status 0), as the Go server's delete");
        group.MapPost("/enable", EnableAsync).Audited("user.enable", "user_id")
            .AcceptsBody<UserIdRequest>(UserIdField).Produces<Envelope>().WithErrors(ResultCode.UserNotFound)
            .WithSummary("Re-enable a disabled user (status 1)");
        group.MapPost("/erase", EraseAsync).Audited("user.erase", "user_id")
            .AcceptsBody<UserIdRequest>(UserIdField).Produces<EraseUserResponse>()
            .WithErrors(ResultCode.UserNotFound, ResultCode.StoreFailed)
            .WithSummary("Erase a person: contacts, name and tags removed from the user (a tombstone; the journal's earlier events deleted) "
                + "and from the user list; their records' addresses masked and their content cleared, unsent ones cancelled. "
                + "Repeatable; 9002/404 if unknown. Not reached: messages already delivered, records sent to a direct `to`, queue, "
                + "outbox files, backups and logs (see README, Personal data)");
        group.MapPost("/find_by_tags", FindByTagsAsync)
            .AcceptsBody<FindByTagsRequest>(
                Field.List("tags", $"The tags to look for (at least one, at most {UserValidation.MaxTags} distinct)", TagField, maxItems: UserValidation.MaxTagEntries, required: true),
                Field.Choice("match_type", "all: users carrying every tag; any: at least one (case-insensitive; empty is any)", ["all", "any"], @default: "any"),
                Field.Page,
                Field.PageSize with { Default = System.Text.Json.Nodes.JsonValue.Create(PageRequest.MaxPageSize) })
            .Produces<FindByTagsResponse>()
            .WithSummary("Enabled users carrying all or any of the tags");
        group.MapGet("/tag_statistics", TagStatisticsAsync).Produces<TagStatisticsResponse>()
            .WithSummary($"How many enabled users carry each tag: the {options.Limits.MaxTagStatistics} most used, most used first");
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<CreateUserRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var invalid = UserId.Validate(req.UserId) ?? (string.IsNullOrWhiteSpace(req.Name) ? "name is required" : null);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        var (tags, tagError) = UserValidation.NormalizeTags(req.Tags ?? []);
        if (tagError is not null)
        {
            return Api.Invalid(tagError);
        }
        var profile = new UserProfile(
            req.Name!.Trim(), req.Nickname ?? "", req.Mobile ?? "", req.Email ?? "", req.LarkId ?? "", req.DingtalkId ?? "", req.WechatId ?? "");
        var reply = await users.SendAsync(new UserCommands.Create(req.UserId!, profile, tags), ct);
        return reply.IsOk ? Api.Ok(new UserIdResponse(req.UserId!)) : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> GetAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct)
    {
        var userId = RequestReader.Query(http, "user_id");
        var invalid = UserId.Validate(userId);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        var reply = await users.SendAsync(new UserCommands.Get(userId!), ct);
        return reply is { IsOk: true, State: { } state }
            ? Api.Ok(new GetUserResponse(UserDto.From(state, options.Zone)))
            : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<UpdateUserRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var invalid = UserId.Validate(req.UserId)
            ?? (req.Status is null or 0 or 1 ? null : "status must be 1 (enabled) or 0 (disabled)");
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        ImmutableArray<string>? tags = null;
        if (req.Tags is not null)
        {
            var (normalized, tagError) = UserValidation.NormalizeTags(req.Tags);
            if (tagError is not null)
            {
                return Api.Invalid(tagError);
            }
            tags = normalized;
        }
        var patch = new UserPatch(
            req.Name?.Trim(), req.Nickname, req.Mobile, req.Email, req.LarkId, req.DingtalkId, req.WechatId,
            tags, req.Status is { } s ? s == 1 : null, [.. req.ClearFields ?? []]);
        var reply = await users.SendAsync(new UserCommands.Update(req.UserId!, patch), ct);
        return reply.IsOk ? Api.Ok() : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> ListAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct)
    {
        var (paging, pagingError) = RequestReader.Paging(http);
        if (pagingError is not null)
        {
            return pagingError;
        }
        var (status, statusError) = RequestReader.QueryOptionalInt(http, "status");
        if (statusError is not null || status is not (null or 0 or 1))
        {
            return statusError ?? Api.Invalid("status must be 1 (enabled) or 0 (disabled)");
        }
        var query = new UserListQuery(
            paging,
            RequestReader.Query(http, "user_id"),
            RequestReader.Query(http, "keyword") ?? RequestReader.Query(http, "name"),
            RequestReader.Query(http, "tag"),
            status);
        var page = await users.ReadModel.ListAsync(query, ct);
        return Api.Ok(new UserListResponse(
            page.Items.Select(u => UserDto.From(u, options.Zone)).ToList(), page.Total, paging.Page, paging.PageSize));
    }

    private static Task<IResult> DeleteAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct) =>
        SendByIdAsync(http, users, options, id => new UserCommands.Disable(id), ct);

    private static Task<IResult> EnableAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct) =>
        SendByIdAsync(http, users, options, id => new UserCommands.Enable(id), ct);

    private static async Task<IResult> SendByIdAsync(
        HttpRequest http, UserService users, MsgMateOptions options, Func<string, IUserCommand> command, CancellationToken ct)
    {
        var (userId, error) = await ReadUserIdAsync(http, options);
        if (userId is null)
        {
            return error!;
        }
        var reply = await users.SendAsync(command(userId), ct);
        return reply.IsOk ? Api.Ok() : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> EraseAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct)
    {
        var (userId, error) = await ReadUserIdAsync(http, options);
        if (userId is null)
        {
            return error!;
        }
        var erased = await users.EraseAsync(userId, ct);
        return erased is { IsOk: true, Records: { } records }
            ? Api.Ok(new EraseUserResponse(userId, records.RecordsMasked, records.RecordsCancelled))
            : Api.Error(erased.Code, erased.Message);
    }

    /// <summary>A body of just <c>{user_id}</c>, checked.</summary>
    private static async Task<(string? UserId, IResult? Error)> ReadUserIdAsync(HttpRequest http, MsgMateOptions options)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<UserIdRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return (null, error);
        }
        var invalid = UserId.Validate(req.UserId);
        return invalid is null ? (req.UserId!, null) : (null, Api.Invalid(invalid));
    }

    private static async Task<IResult> FindByTagsAsync(HttpRequest http, UserService users, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<FindByTagsRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        if (req.Tags is null || req.Tags.Count == 0)
        {
            return Api.Invalid("tags is required: a non-empty list");
        }
        var (tags, tagError) = UserValidation.NormalizeTags(req.Tags);
        if (tagError is not null)
        {
            return Api.Invalid(tagError);
        }
        var matchAll = (req.MatchType ?? "any").ToLowerInvariant() switch
        {
            "all" => (bool?)true,
            "any" or "" => false,
            _ => null,
        };
        if (matchAll is null)
        {
            return Api.Invalid("match_type must be \"all\" or \"any\"");
        }
        // Go answered every match at once; here pages of at most 100, the first by default.
        var page = req.Page ?? 1;
        var size = req.PageSize ?? PageRequest.MaxPageSize;
        var pagingError = PageRequest.Validate(page, size);
        if (pagingError is not null)
        {
            return Api.Invalid(pagingError);
        }
        var found = await users.ReadModel.FindByTagsAsync(tags, matchAll.Value, new PageRequest(page, size), ct);
        return Api.Ok(new FindByTagsResponse(
            found.Items.Select(u => UserDto.From(u, options.Zone)).ToList(), found.Total, found.Total, page));
    }

    private static async Task<IResult> TagStatisticsAsync(UserService users, MsgMateOptions options, CancellationToken ct)
    {
        var stats = (await users.ReadModel.TagStatisticsAsync(options.Limits.MaxTagStatistics, ct)).Select(t => new TagStatisticDto(t.Tag, t.Count)).ToList();
        return Api.Ok(new TagStatisticsResponse(stats, stats));
    }
}
