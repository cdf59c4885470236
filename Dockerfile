# MsgMate.NET node image.   docker build -t msgmate-net .
# Two stages: the SDK builds and publishes, the ASP.NET runtime image runs it as the non-root user `app` (UID 1654,
# which the .NET images ship; the Kubernetes manifests run as that UID).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone: the layer is reused until a package or a project reference changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/MsgMate.Actors/MsgMate.Actors.csproj src/MsgMate.Actors/
COPY src/MsgMate.Http/MsgMate.Http.csproj src/MsgMate.Http/
COPY src/MsgMate.Node/MsgMate.Node.csproj src/MsgMate.Node/
RUN dotnet restore src/MsgMate.Node/MsgMate.Node.csproj
# The schema files in sql/ are embedded into MsgMate.Actors.
COPY sql/ sql/
COPY src/ src/
RUN dotnet publish src/MsgMate.Node/MsgMate.Node.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
# data/: the email outbox folder when no SMTP host is configured (and the SQLite files of a lone node).
RUN mkdir -p /app/data && chown "$APP_UID" /app/data
ENV MsgMate__Port=8109 \
    MsgMate__Cluster__Hostname=0.0.0.0 \
    MsgMate__Cluster__Port=4053
# 8109 HTTP (API, /healthz, /readyz, /metrics), 4053 Akka remoting.
EXPOSE 8109 4053
USER $APP_UID
# The runtime image has neither curl nor wget: bash's /dev/tcp sends the request and the status line is checked.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MsgMate__Port:-8109} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "MsgMate.Node.dll"]
