using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Tests.Storage;

/// <summary>The order in which the write gate hands out turns (no timing: each step waits for what it asserts).</summary>
public sealed class WriteGateTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact(DisplayName = "Write gate: one turn at a time; waiting writers get theirs in arrival order, urgent ahead of delivery ahead of normal")]
    public async Task Turns_in_order_urgent_first()
    {
        var gate = new WriteGate();
        var first = await gate.EnterAsync(WriteUrgency.Normal);
        var order = new List<string>();
        var waiters = new List<Task>();
        foreach (var (name, urgency) in new[]
                 {
                     ("n1", WriteUrgency.Normal), ("d1", WriteUrgency.Delivery), ("n2", WriteUrgency.Normal), ("u1", WriteUrgency.Urgent),
                     ("n3", WriteUrgency.Normal), ("d2", WriteUrgency.Delivery), ("u2", WriteUrgency.Urgent),
                 })
        {
            waiters.Add(TakeTurnAsync(gate, urgency, name, order));
        }
        Assert.Equal(7, gate.Waiting);
        Assert.Empty(order);

        first.Dispose();
        await Task.WhenAll(waiters).WaitAsync(Deadline);
        Assert.Equal(["u1", "u2", "d1", "d2", "n1", "n2", "n3"], order);
        Assert.Equal(0, gate.Waiting);

        // Free again: the next writer enters at once.
        using var again = (await gate.EnterAsync(WriteUrgency.Normal).AsTask().WaitAsync(Deadline));
    }

    [Fact(DisplayName = "Write gate: a waiter that gives up leaves the line; the turn passes over it to the next")]
    public async Task Cancelled_waiter_is_skipped()
    {
        var gate = new WriteGate();
        var first = await gate.EnterAsync(WriteUrgency.Normal);
        using var cts = new CancellationTokenSource();
        var order = new List<string>();
        var cancelled = TakeTurnAsync(gate, WriteUrgency.Urgent, "gave-up", order, cts.Token);
        var next = TakeTurnAsync(gate, WriteUrgency.Normal, "next", order);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Deadline));
        Assert.Equal(1, gate.Waiting);

        first.Dispose();
        await next.WaitAsync(Deadline);
        Assert.Equal(["next"], order);
    }

    private static async Task TakeTurnAsync(WriteGate gate, WriteUrgency urgency, string name, List<string> order, CancellationToken ct = default)
    {
        using var turn = await gate.EnterAsync(urgency, ct);
        lock (order)
        {
            order.Add(name);
        }
    }
}
