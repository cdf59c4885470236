using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using MsgMate.Actors.Common;
using MsgMate.Actors.Security;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// Keys in the OpenAPI document: the two ways to send one (bearer, <c>X-Api-Key</c>) as security schemes, and on
/// every operation that needs a key its scope, the requirement, and the 401 / 403 answers.
/// </summary>
public static class AccessOpenApi
{
    private const string Bearer = "bearer";
    private const string HeaderKey = "apiKey";

    public static IServiceCollection AddMsgMateAccessOpenApi(this IServiceCollection services, string documentName = "v1") =>
        services.Configure<OpenApiOptions>(documentName, (OpenApiOptions o) =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                var components = document.Components ??= new OpenApiComponents();
                components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "Authorization: Bearer <API key>. Keys come from POST /admin/keys (or the bootstrap key).",
                };
                components.SecuritySchemes[HeaderKey] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = AccessControl.ApiKeyHeader,
                    Description = "The same key in the X-Api-Key header.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var requirement = context.Description.ActionDescriptor.EndpointMetadata.OfType<AccessRequirement>().LastOrDefault()
                    ?? new AccessRequirement.Needs(MsgMate.Actors.Security.Scope.Admin);
                if (requirement is not AccessRequirement.Needs needs)
                {
                    return Task.CompletedTask;
                }
                var scope = ScopeSet.Name(needs.Scope);
                var document = context.Document!;
                operation.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [scope] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderKey, document)] = [scope] },
                ];
                operation.Description = $"{operation.Description}{(string.IsNullOrEmpty(operation.Description) ? "" : " ")}Scope: `{scope}` (or admin).".Trim();
                var responses = operation.Responses ??= [];
                var envelope = new OpenApiSchemaReference("Envelope", document);
                responses["401"] = Answer($"Unauthorized: the envelope with code {(int)ResultCode.Unauthenticated} {OpenApiExtensions.Describe(ResultCode.Unauthenticated)}.", envelope);
                responses["403"] = Answer($"Forbidden: the envelope with code {(int)ResultCode.Forbidden} {OpenApiExtensions.Describe(ResultCode.Forbidden)}.", envelope);
                return Task.CompletedTask;
            });
        });

    private static OpenApiResponse Answer(string description, IOpenApiSchema schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
    };
}
