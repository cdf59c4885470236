using System.Text.Json.Serialization;
using MsgMate.Actors.Templates;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Templates;

public sealed class CreateTemplateRequest
{
    [JsonPropertyName("sourceID")] public string? SourceId { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("channel")] public int? Channel { get; set; }
    [JsonPropertyName("subject")] public string? Subject { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
    [JsonPropertyName("signName")] public string? SignName { get; set; }
    [JsonPropertyName("relTemplateID")] public string? RelTemplateId { get; set; }
}

/// <summary>Absent or empty fields are kept.</summary>
public sealed class UpdateTemplateRequest
{
    [JsonPropertyName("templateID")] public string? TemplateId { get; set; }
    [JsonPropertyName("sourceID")] public string? SourceId { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("channel")] public int? Channel { get; set; }
    [JsonPropertyName("subject")] public string? Subject { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
    [JsonPropertyName("signName")] public string? SignName { get; set; }
    [JsonPropertyName("relTemplateID")] public string? RelTemplateId { get; set; }
}

public sealed class TemplateIdRequest
{
    [JsonPropertyName("templateID")] public string? TemplateId { get; set; }
}

public sealed record CreateTemplateResponse([property: JsonPropertyName("templateID")] string TemplateId) : Envelope;

/// <summary><c>get_template</c>: lowercase camel at the top level, as Go; status, placeholders and times are new.</summary>
public sealed record GetTemplateResponse(
    [property: JsonPropertyName("templateID")] string TemplateId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("channel")] int Channel,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("sourceID")] string SourceId,
    [property: JsonPropertyName("signName")] string SignName,
    [property: JsonPropertyName("relTemplateID")] string RelTemplateId,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("placeholders")] IReadOnlyList<string> Placeholders,
    [property: JsonPropertyName("createTime")] string CreateTime,
    [property: JsonPropertyName("modifyTime")] string ModifyTime) : Envelope
{
    public static GetTemplateResponse From(TemplateState s, TimeZoneInfo zone) => new(
        s.TemplateId, s.Draft.Name, s.Draft.Subject, s.Draft.Channel, s.Draft.Content, s.Draft.SourceId, s.Draft.SignName,
        s.Draft.RelTemplateId, s.Status, s.Placeholders, ApiTime.Format(s.CreatedAt, zone), ApiTime.Format(s.ModifiedAt, zone));
}

/// <summary>A list item: PascalCase, as Go's default JSON of its table struct (the console reads these names).</summary>
public sealed record TemplateItemDto(
    string TemplateID,
    string Name,
    string Subject,
    int Channel,
    string SourceID,
    string SignName,
    string Content,
    string RelTemplateID,
    int Status,
    string CreateTime,
    string ModifyTime)
{
    public static TemplateItemDto From(TemplateState s, TimeZoneInfo zone) => new(
        s.TemplateId, s.Draft.Name, s.Draft.Subject, s.Draft.Channel, s.Draft.SourceId, s.Draft.SignName, s.Draft.Content,
        s.Draft.RelTemplateId, s.Status, ApiTime.Format(s.CreatedAt, zone), ApiTime.Format(s.ModifiedAt, zone));
}

public sealed record TemplateListResponse(
    [property: JsonPropertyName("templates")] IReadOnlyList<TemplateItemDto> Templates,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize) : Envelope;
