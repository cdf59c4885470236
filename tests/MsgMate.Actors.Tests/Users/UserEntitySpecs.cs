using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using MsgMate.Actors.Common;
using MsgMate.Actors.Serialization;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Tests.Users;

/// <summary>
/// The persistent actor around the pure user logic, on the in-memory journal. serialize-messages is on,
/// so every command, reply and event also goes through <see cref="MsgMateSerializer"/>. Replies come after a
/// journal write (and the first after recovery): they get 15 s rather than TestKit's 3 s on a busy machine.
/// </summary>
public sealed class UserEntitySpecs() : TestKit(Config)
{
    private static readonly Config Config = ConfigurationFactory.ParseString($$"""
        akka.actor.serialize-messages = on
        akka.actor.serializers.msgmate = "{{typeof(MsgMateSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IMsgMateMessage).AssemblyQualifiedName}}" = msgmate }
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.test.single-expect-default = 15s
        """);

    private static readonly UserProfile Ann = UserProfile.Empty with { Name = "Ann", Email = "ann@example.com" };

    private IActorRef Entity(string id) => Sys.ActorOf(UserEntity.PropsFor(id, TimeProvider.System));

    [Fact(DisplayName = "Create replies with the state at version 1; a second create is refused")]
    public void Create_then_duplicate()
    {
        var entity = Entity("spec-1");

        entity.Tell(new UserCommands.Create("spec-1", Ann, ["vip"]));
        var created = ExpectMsg<UserReply>();
        Assert.True(created.IsOk);
        Assert.Equal(1, created.Version);
        Assert.Equal<string>(["vip"], created.State!.Tags);

        entity.Tell(new UserCommands.Create("spec-1", Ann, []));
        Assert.Equal(ResultCode.UserExists, ExpectMsg<UserReply>().Code);
    }

    [Fact(DisplayName = "A restarted entity recovers its state from the journal")]
    public void Recovers_after_restart()
    {
        var entity = Entity("spec-2");
        entity.Tell(new UserCommands.Create("spec-2", Ann, ["a"]));
        ExpectMsg<UserReply>();
        entity.Tell(new UserCommands.Update("spec-2", new UserPatch(Nickname: "Annie")));
        ExpectMsg<UserReply>();
        entity.Tell(new UserCommands.Disable("spec-2"));
        ExpectMsg<UserReply>();
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity);

        var again = Entity("spec-2");
        again.Tell(new UserCommands.Get("spec-2"));
        var reply = ExpectMsg<UserReply>();
        Assert.Equal(3, reply.Version);
        Assert.Equal("Annie", reply.State!.Profile.Nickname);
        Assert.Equal(0, reply.State.Status);
    }

    [Fact(DisplayName = "After more than 100 events a snapshot is taken and recovery still yields the latest state")]
    public void Snapshots_keep_recovery_correct()
    {
        var entity = Entity("spec-3");
        entity.Tell(new UserCommands.Create("spec-3", Ann, []));
        ExpectMsg<UserReply>();
        for (var i = 0; i < 120; i++)
        {
            entity.Tell(new UserCommands.Update("spec-3", new UserPatch(Nickname: $"n{i}")));
        }
        ReceiveN(120);
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity);

        var again = Entity("spec-3");
        again.Tell(new UserCommands.Get("spec-3"));
        var reply = ExpectMsg<UserReply>();
        Assert.Equal(121, reply.Version);
        Assert.Equal("n119", reply.State!.Profile.Nickname);
    }

    [Fact(DisplayName = "Get of a user never created answers 9002 and persists nothing")]
    public void Get_unknown()
    {
        var entity = Entity("spec-4");
        entity.Tell(new UserCommands.Get("spec-4"));
        var reply = ExpectMsg<UserReply>();
        Assert.Equal(ResultCode.UserNotFound, reply.Code);
        Assert.Null(reply.State);
    }

    [Fact(DisplayName = "Erase answers once the journal is compacted; a restarted entity recovers erased from the snapshot")]
    public void Erase_survives_restart()
    {
        var entity = Entity("spec-5");
        entity.Tell(new UserCommands.Create("spec-5", Ann, ["vip"]));
        ExpectMsg<UserReply>();
        entity.Tell(new UserCommands.Update("spec-5", new UserPatch(Mobile: "13812348000")));
        ExpectMsg<UserReply>();

        entity.Tell(new UserCommands.Erase("spec-5"));
        var erased = ExpectMsg<UserReply>();
        Assert.True(erased.IsOk, erased.Message);
        Assert.Equal(3, erased.Version);
        Assert.True(erased.State!.Erased);
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity);

        var again = Entity("spec-5");
        again.Tell(new UserCommands.Get("spec-5"));
        Assert.Equal(ResultCode.UserNotFound, ExpectMsg<UserReply>().Code);
        again.Tell(new UserCommands.Erase("spec-5"));
        var repeated = ExpectMsg<UserReply>();
        Assert.True(repeated.IsOk, repeated.Message);
        Assert.Equal(3, repeated.Version);
        again.Tell(new UserCommands.Create("spec-5", Ann with { Name = "New" }, []));
        var created = ExpectMsg<UserReply>();
        Assert.True(created.IsOk);
        Assert.Equal(4, created.Version);
        Assert.Equal("New", created.State!.Profile.Name);
    }
}
