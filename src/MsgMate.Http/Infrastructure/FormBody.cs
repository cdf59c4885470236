using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using MsgMate.Actors.Common;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// Form bodies, as the Go server's Gin <c>ShouldBind</c> accepted them: <c>application/x-www-form-urlencoded</c>
/// and <c>multipart/form-data</c>. A form becomes the JSON object the same request would send, shaped by the JSON
/// contract of the request type, so that deserialization, validation and errors are exactly those of the JSON path.
/// <list type="bullet">
/// <item><c>name=v</c>: a string, a number for a number property, a boolean for a boolean one, a one-element
/// array for a list property, a string for a property that takes a string or a list (<c>to</c>).</item>
/// <item><c>name=a&amp;name=b</c> or <c>name[]=a&amp;name[]=b</c>: an array (for a single-valued property, the
/// wrong type, as the JSON array would be). A list property whose values are all empty is the empty list.</item>
/// <item><c>name[key]=v</c>: an object (<c>templateData[name]=x</c>); a key given twice is an array there.</item>
/// <item>An empty value of a property that is not a string or a list is absent, as Gin left it at its zero value.</item>
/// </list>
/// Names match case-insensitively, as JSON names do; names the request type does not know are ignored.
/// </summary>
public static class FormBody
{
    public const string UrlEncodedType = "application/x-www-form-urlencoded";
    public const string MultipartType = "multipart/form-data";

    /// <summary>One field of a form in body order: its key as sent (e.g. <c>templateData[name]</c>) and its value.</summary>
    public readonly record struct Field(string Key, string Value);

    public enum FormEncoding
    {
        UrlEncoded,
        Multipart,
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The form encoding a content type names; null for anything else (the body is then read as JSON).</summary>
    public static FormEncoding? EncodingOf(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return null;
        }
        return media.MediaType.Equals(UrlEncodedType, StringComparison.OrdinalIgnoreCase) ? FormEncoding.UrlEncoded
            : media.MediaType.Equals(MultipartType, StringComparison.OrdinalIgnoreCase) ? FormEncoding.Multipart
            : null;
    }

    /// <summary>Whether a body labelled as a form is JSON: its first non-blank byte opens an object or an array.</summary>
    public static bool LooksLikeJson(ReadOnlySpan<byte> body)
    {
        var start = body.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && body[start] is (byte)'{' or (byte)'[';
    }

    /// <summary>
    /// <c>k=v&amp;k2=v2</c>, with <c>+</c> for a space and <c>%XX</c> escapes that must decode to UTF-8, as Go's
    /// <c>url.ParseQuery</c>. Empty segments are skipped; a segment without <c>=</c> is a key with an empty value.
    /// The error is a malformed body (8021).
    /// </summary>
    public static (List<Field>? Fields, string? Error) ParseUrlEncoded(ReadOnlySpan<byte> body)
    {
        var fields = new List<Field>();
        var start = 0;
        while (start <= body.Length)
        {
            var length = body[start..].IndexOf((byte)'&');
            var segment = length < 0 ? body[start..] : body.Slice(start, length);
            if (!segment.IsEmpty)
            {
                var equals = segment.IndexOf((byte)'=');
                var (key, keyError) = Decode(equals < 0 ? segment : segment[..equals], start);
                var (value, valueError) = equals < 0 ? ("", null) : Decode(segment[(equals + 1)..], start + equals + 1);
                if ((keyError ?? valueError) is { } error)
                {
                    return (null, error);
                }
                if (key!.Length > 0)
                {
                    fields.Add(new Field(key, value!));
                }
            }
            if (length < 0)
            {
                break;
            }
            start += length + 1;
        }
        return (fields, null);
    }

    /// <summary>
    /// The fields of a multipart form; file parts (a part with a file name) are skipped: no request takes a file.
    /// The error is a malformed body (8021).
    /// </summary>
    public static async Task<(List<Field>? Fields, string? Error)> ParseMultipartAsync(
        ReadOnlyMemory<byte> body, string contentType, CancellationToken ct)
    {
        var boundary = MediaTypeHeaderValue.TryParse(contentType, out var media)
            ? HeaderUtilities.RemoveQuotes(media.Boundary).Value
            : null;
        if (string.IsNullOrEmpty(boundary))
        {
            return (null, "malformed multipart form body: the Content-Type names no boundary");
        }
        var fields = new List<Field>();
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            var reader = new MultipartReader(boundary, stream);
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    return (null, "malformed multipart form body: a part has no Content-Disposition: form-data");
                }
                if (disposition.IsFileDisposition())
                {
                    continue;
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                using var value = new MemoryStream();
                await section.Body.CopyToAsync(value, ct);
                string text;
                try
                {
                    text = StrictUtf8.GetString(value.GetBuffer(), 0, (int)value.Length);
                }
                catch (DecoderFallbackException)
                {
                    return (null, $"malformed multipart form body: the value of '{InputText.Quote(name)}' is not valid UTF-8");
                }
                if (name.Length > 0)
                {
                    fields.Add(new Field(name, text));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return (null, $"malformed multipart form body: {InputText.Quote(ex.Message)}");
        }
        return (fields, null);
    }

    /// <summary>
    /// The JSON object (UTF-8) the fields stand for, shaped by <paramref name="contract"/> (the request type's JSON
    /// contract). The error is an invalid argument (8020): a key of a known field that is not <c>name</c>,
    /// <c>name[]</c> or <c>name[key]</c>, or a field given both as <c>name[key]</c> pairs and as values.
    /// </summary>
    public static (byte[]? Json, string? Error) ToJson(IReadOnlyList<Field> fields, JsonTypeInfo contract)
    {
        var properties = new Dictionary<string, JsonPropertyInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in contract.Properties)
        {
            properties.TryAdd(property.Name, property);
        }

        // Per property, in the order the form first names it: its entries in body order.
        var groups = new List<(JsonPropertyInfo Property, List<Entry> Entries)>();
        var index = new Dictionary<JsonPropertyInfo, int>();
        foreach (var field in fields)
        {
            var bracket = field.Key.IndexOf('[');
            var name = bracket < 0 ? field.Key : field.Key[..bracket];
            if (!properties.TryGetValue(name, out var property))
            {
                continue;
            }
            Entry entry;
            if (bracket < 0)
            {
                entry = new Entry(null, false, field.Value);
            }
            else if (field.Key.Length == bracket + 2 && field.Key[^1] == ']')
            {
                entry = new Entry(null, true, field.Value);
            }
            else if (field.Key[^1] == ']' && field.Key.AsSpan(bracket + 1, field.Key.Length - bracket - 2).IndexOfAny('[', ']') < 0)
            {
                entry = new Entry(field.Key[(bracket + 1)..^1], false, field.Value);
            }
            else
            {
                var shown = InputText.Quote(name);
                return (null, $"form field '{InputText.Quote(field.Key)}': write {shown}=value, {shown}[]=value or {shown}[key]=value");
            }
            if (!index.TryGetValue(property, out var at))
            {
                index[property] = at = groups.Count;
                groups.Add((property, []));
            }
            groups[at].Entries.Add(entry);
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (property, entries) in groups)
            {
                var shape = ShapeOf(property.PropertyType, contract.Options);
                var keyed = entries.Count(e => e.Key is not null);
                if (keyed > 0 && keyed < entries.Count)
                {
                    return (null, $"field '{property.Name}' has the wrong type: give either {property.Name}[key]=value pairs or values");
                }
                if (keyed > 0)
                {
                    writer.WritePropertyName(property.Name);
                    WriteObject(writer, entries, shape.Element ?? Shape.String);
                    continue;
                }
                var single = entries is [{ Appended: false }];
                switch (shape.Kind)
                {
                    case ShapeKind.Array:
                        writer.WritePropertyName(property.Name);
                        writer.WriteStartArray();
                        if (entries.Any(e => e.Value.Length > 0))
                        {
                            foreach (var entry in entries)
                            {
                                WriteValue(writer, entry.Value, shape.Element ?? Shape.String);
                            }
                        }
                        writer.WriteEndArray();
                        break;
                    case ShapeKind.String or ShapeKind.Any when single:
                        writer.WritePropertyName(property.Name);
                        writer.WriteStringValue(entries[0].Value);
                        break;
                    case ShapeKind.Any:
                        writer.WritePropertyName(property.Name);
                        WriteArray(writer, entries, Shape.String);
                        break;
                    case not ShapeKind.String when single && entries[0].Value.Length == 0:
                        break; // absent, as Gin left an empty value at the zero value
                    default:
                        writer.WritePropertyName(property.Name);
                        if (single)
                        {
                            WriteValue(writer, entries[0].Value, shape);
                        }
                        else
                        {
                            WriteArray(writer, entries, shape); // the wrong type for a single value, as in JSON
                        }
                        break;
                }
            }
            writer.WriteEndObject();
        }
        return (buffer.WrittenSpan.ToArray(), null);
    }

    private readonly record struct Entry(string? Key, bool Appended, string Value);

    private enum ShapeKind
    {
        String,
        Number,
        Boolean,

        /// <summary>Whatever JSON comes (a <see cref="JsonElement"/>): a string, several values a list of strings.</summary>
        Any,
        Array,
        Object,
    }

    private sealed record Shape(ShapeKind Kind, Shape? Element = null)
    {
        public static readonly Shape String = new(ShapeKind.String);
    }

    private static Shape ShapeOf(Type type, JsonSerializerOptions options)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string))
        {
            return Shape.String;
        }
        if (t == typeof(bool))
        {
            return new Shape(ShapeKind.Boolean);
        }
        if (t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte) || t == typeof(sbyte)
            || t == typeof(uint) || t == typeof(ulong) || t == typeof(ushort) || t == typeof(double) || t == typeof(float)
            || t == typeof(decimal))
        {
            return new Shape(ShapeKind.Number);
        }
        if (t == typeof(JsonElement) || t == typeof(JsonNode) || t == typeof(object))
        {
            return new Shape(ShapeKind.Any);
        }
        var info = options.GetTypeInfo(t);
        return info.Kind switch
        {
            JsonTypeInfoKind.Enumerable => new Shape(ShapeKind.Array, ShapeOf(info.ElementType!, options)),
            JsonTypeInfoKind.Dictionary => new Shape(ShapeKind.Object, ShapeOf(info.ElementType!, options)),
            JsonTypeInfoKind.Object => new Shape(ShapeKind.Object, Shape.String),
            _ => Shape.String, // enums, times, …: the converter reads them from a string or says the type is wrong
        };
    }

    /// <summary><c>name[key]=v</c> pairs as an object; a key given twice holds the values as an array.</summary>
    private static void WriteObject(Utf8JsonWriter writer, List<Entry> entries, Shape element)
    {
        writer.WriteStartObject();
        foreach (var group in entries.GroupBy(e => e.Key!, StringComparer.Ordinal))
        {
            writer.WritePropertyName(group.Key);
            if (group.Count() == 1)
            {
                WriteValue(writer, group.First().Value, element);
            }
            else
            {
                WriteArray(writer, group.ToList(), element);
            }
        }
        writer.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter writer, List<Entry> entries, Shape element)
    {
        writer.WriteStartArray();
        foreach (var entry in entries)
        {
            WriteValue(writer, entry.Value, element);
        }
        writer.WriteEndArray();
    }

    /// <summary>
    /// A form value as the JSON value of its shape. Text that is not a number (a boolean) stays a string, so that
    /// the deserializer answers "field 'x' has the wrong type" exactly as for the JSON string.
    /// </summary>
    private static void WriteValue(Utf8JsonWriter writer, string value, Shape shape)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Number when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole):
                writer.WriteNumberValue(whole);
                break;
            case ShapeKind.Number when double.TryParse(
                value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var real) && double.IsFinite(real):
                writer.WriteNumberValue(real);
                break;
            case ShapeKind.Boolean when ParseBool(value) is { } flag:
                writer.WriteBooleanValue(flag);
                break;
            default:
                writer.WriteStringValue(value);
                break;
        }
    }

    /// <summary>The spellings Go's <c>strconv.ParseBool</c> takes (which Gin used), in any case.</summary>
    private static bool? ParseBool(string value) => value.ToLowerInvariant() switch
    {
        "true" or "t" or "1" => true,
        "false" or "f" or "0" => false,
        _ => null,
    };

    /// <summary>Percent-decoding with <c>+</c> for a space; <paramref name="offset"/> places an error in the body.</summary>
    private static (string? Text, string? Error) Decode(ReadOnlySpan<byte> raw, int offset)
    {
        if (raw.IndexOfAny((byte)'%', (byte)'+') < 0)
        {
            return (Encoding.UTF8.GetString(raw), null); // the body is valid UTF-8 already
        }
        var bytes = new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == '+')
            {
                bytes[n++] = (byte)' ';
            }
            else if (b != '%')
            {
                bytes[n++] = b;
            }
            else if (i + 2 < raw.Length && HexValue(raw[i + 1]) is >= 0 and var high && HexValue(raw[i + 2]) is >= 0 and var low)
            {
                bytes[n++] = (byte)((high << 4) | low);
                i += 2;
            }
            else
            {
                return (null, $"malformed form body: '%' at byte {offset + i} is not followed by two hex digits (percent-encoding is %XX)");
            }
        }
        try
        {
            return (StrictUtf8.GetString(bytes, 0, n), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, $"malformed form body: the percent-encoded bytes at byte {offset} are not valid UTF-8");
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
