using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 by hand over a loopback socket, for requests HttpClient will not send (a 20 KB request line, a 40 KB
/// header, a body announced larger than it is) and for answers it would hide (a bare status without a body).
/// </summary>
public static class RawHttp
{
    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        /// <summary>The envelope of the answer, or null when the body is not a JSON object.</summary>
        public JsonElement? Json
        {
            get
            {
                try
                {
                    using var doc = JsonDocument.Parse(Body);
                    return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
                }
                catch (JsonException)
                {
                    return null;
                }
            }
        }

        public override string ToString() => $"HTTP {Status} {(Body.Length > 300 ? Body[..300] + "…" : Body)}";
    }

    /// <summary>
    /// Sends <paramref name="head"/> (request line and headers, with the final blank line) and then, alongside reading
    /// the answer, <paramref name="body"/>; a server that answers and closes before taking the whole body is fine.
    /// </summary>
    public static async Task<Response> SendAsync(Uri server, string head, Func<Stream, Task>? body = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.Port, timeout.Token);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
        var writing = body is null ? Task.CompletedTask : Task.Run(async () =>
        {
            try
            {
                await body(stream);
                await stream.FlushAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The server answered without reading everything and closed: the answer is what counts.
            }
        });
        var response = await ReadAsync(stream, timeout.Token);
        client.Close();
        await writing;
        return response;
    }

    private static async Task<Response> ReadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var chunk = new byte[64 * 1024];
        int headEnd;
        while ((headEnd = IndexOf(buffer, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(chunk, ct);
            if (n == 0)
            {
                throw new IOException($"the server closed the connection before a complete answer ({buffer.Count} bytes)");
            }
            buffer.AddRange(chunk.AsSpan(0, n));
        }
        var headText = Encoding.ASCII.GetString(buffer.GetRange(0, headEnd).ToArray());
        var lines = headText.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var rest = new MemoryStream();
        rest.Write(buffer.GetRange(headEnd + 4, buffer.Count - headEnd - 4).ToArray());

        async Task<bool> MoreAsync()
        {
            int n;
            try
            {
                n = await stream.ReadAsync(chunk, ct);
            }
            catch (IOException)
            {
                return false; // a reset after the answer: what has come is all
            }
            if (n == 0)
            {
                return false;
            }
            var position = rest.Position;
            rest.Seek(0, SeekOrigin.End);
            rest.Write(chunk, 0, n);
            rest.Position = position;
            return true;
        }

        byte[] bodyBytes;
        if (headers.TryGetValue("Content-Length", out var lengthText))
        {
            var length = int.Parse(lengthText);
            while (rest.Length < length && await MoreAsync())
            {
            }
            bodyBytes = rest.ToArray()[..Math.Min(length, (int)rest.Length)];
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var decoded = new MemoryStream();
            var position = 0;
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf(rest.ToArray().Skip(position).ToList(), "\r\n"u8)) < 0)
                {
                    if (!await MoreAsync())
                    {
                        throw new IOException("the chunked answer ended early");
                    }
                }
                var size = Convert.ToInt32(Encoding.ASCII.GetString(rest.ToArray(), position, lineEnd).Split(';')[0], 16);
                position += lineEnd + 2;
                if (size == 0)
                {
                    break;
                }
                while (rest.Length < position + size + 2)
                {
                    if (!await MoreAsync())
                    {
                        throw new IOException("the chunked answer ended early");
                    }
                }
                decoded.Write(rest.ToArray(), position, size);
                position += size + 2;
            }
            bodyBytes = decoded.ToArray();
        }
        else
        {
            while (await MoreAsync())
            {
            }
            bodyBytes = rest.ToArray();
        }
        return new Response(status, headers, Encoding.UTF8.GetString(bodyBytes));
    }

    private static int IndexOf(List<byte> haystack, ReadOnlySpan<byte> needle) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(haystack).IndexOf(needle);
}
