using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Serialization;

/// <summary>
/// The one serializer for everything MsgMate puts on the wire or in the journal: UTF-8 JSON with an explicit,
/// versioned manifest per type. Manifests are the schema's names: never reuse or rename one; a changed shape
/// gets a new manifest (".v2") and the old one keeps reading.
/// </summary>
public sealed class MsgMateSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4711;

    /// <summary>Every serializable type and its manifest. A test fails when a message type is missing here.</summary>
    public static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(UserEvents.Created)] = "user.created.v1",
        [typeof(UserEvents.Updated)] = "user.updated.v1",
        [typeof(UserEvents.Disabled)] = "user.disabled.v1",
        [typeof(UserEvents.Enabled)] = "user.enabled.v1",
        [typeof(UserEvents.Erased)] = "user.erased.v1",
        [typeof(UserState)] = "user.state.v1",
        [typeof(UserCommands.Create)] = "user.cmd.create.v1",
        [typeof(UserCommands.Update)] = "user.cmd.update.v1",
        [typeof(UserCommands.Disable)] = "user.cmd.disable.v1",
        [typeof(UserCommands.Enable)] = "user.cmd.enable.v1",
        [typeof(UserCommands.Get)] = "user.cmd.get.v1",
        [typeof(UserCommands.Erase)] = "user.cmd.erase.v1",
        [typeof(UserReply)] = "user.reply.v1",
        [typeof(TemplateEvents.Created)] = "template.created.v1",
        [typeof(TemplateEvents.Updated)] = "template.updated.v1",
        [typeof(TemplateEvents.Deleted)] = "template.deleted.v1",
        [typeof(TemplateState)] = "template.state.v1",
        [typeof(TemplateCommands.Create)] = "template.cmd.create.v1",
        [typeof(TemplateCommands.Update)] = "template.cmd.update.v1",
        [typeof(TemplateCommands.Delete)] = "template.cmd.delete.v1",
        [typeof(TemplateCommands.Get)] = "template.cmd.get.v1",
        [typeof(TemplateReply)] = "template.reply.v1",
        [typeof(Delivery.OutboxRelay.Nudge)] = "delivery.outbox-nudge.v1",
        [typeof(ScheduleEvents.Created)] = "schedule.created.v1",
        [typeof(ScheduleEvents.Edited)] = "schedule.edited.v1",
        [typeof(ScheduleEvents.Cancelled)] = "schedule.cancelled.v1",
        [typeof(ScheduleEvents.Paused)] = "schedule.paused.v1",
        [typeof(ScheduleEvents.Resumed)] = "schedule.resumed.v1",
        [typeof(ScheduleEvents.FireStarted)] = "schedule.fire-started.v1",
        [typeof(ScheduleEvents.Fired)] = "schedule.fired.v1",
        [typeof(ScheduleEvents.FireFailed)] = "schedule.fire-failed.v1",
        [typeof(ScheduleState)] = "schedule.state.v1",
        [typeof(ScheduleCommands.Create)] = "schedule.cmd.create.v1",
        [typeof(ScheduleCommands.Edit)] = "schedule.cmd.edit.v1",
        [typeof(ScheduleCommands.Cancel)] = "schedule.cmd.cancel.v1",
        [typeof(ScheduleCommands.Pause)] = "schedule.cmd.pause.v1",
        [typeof(ScheduleCommands.Resume)] = "schedule.cmd.resume.v1",
        [typeof(ScheduleCommands.Get)] = "schedule.cmd.get.v1",
        [typeof(ScheduleCommands.Wake)] = "schedule.cmd.wake.v1",
        [typeof(ScheduleReply)] = "schedule.reply.v1",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, Type> Types = Manifests.ToFrozenDictionary(kv => kv.Value, kv => kv.Key);

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} has no manifest in {nameof(MsgMateSerializer)}", nameof(o));

    public override byte[] ToBinary(object obj)
    {
        // Fail before writing anything a later reader could not map back to a type.
        _ = Manifest(obj);
        return JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);
    }

    public override object FromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"null payload for {manifest}")
            : throw new SerializationException($"unknown manifest '{manifest}'");
}
