# MsgMate.NET node image. Build: docker build -t msgmate-net .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/MsgMate.Node -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV MsgMate__Cluster__Hostname=0.0.0.0
EXPOSE 8109 4053
ENTRYPOINT ["dotnet", "MsgMate.Node.dll"]
