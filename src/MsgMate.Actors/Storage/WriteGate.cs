namespace MsgMate.Actors.Storage;

/// <summary>Which writer goes first when several wait for the database's write lock.</summary>
public enum WriteUrgency
{
    /// <summary>Intake of normal and low priority (group commits, bulk sends), read models: first come, first served.</summary>
    Normal,

    /// <summary>
    /// Delivery's small writes (outcomes, outbox marks, claims): ahead of intake, so that a bulk send being stored
    /// does not stall delivery. They cannot starve intake: each lane has a bounded number of messages in flight.
    /// </summary>
    Delivery,

    /// <summary>High-priority intake: ahead of every other writer still waiting (never ahead of the one writing).</summary>
    Urgent,
}

/// <summary>
/// Turn-taking for a database that lets one writer in at a time (SQLite: one write lock per file). Without it the
/// writers of this process race for the lock inside SQLite, whose busy handler sleeps in growing steps (up to
/// 100 ms) and lets whoever asks next win — a bulk intake then starves delivery's outcome writes, and a
/// high-priority send waits behind a flood. Here the lock passes straight to the next waiter: urgent ones first,
/// then delivery's, then the rest, each in arrival order. A waiter whose cancellation fires leaves the line.
/// </summary>
public sealed class WriteGate
{
    private readonly object _lock = new();
    // One line per urgency, most urgent first.
    private readonly Queue<TaskCompletionSource>[] _lines = [new(), new(), new()];
    private bool _held;

    /// <summary>Writers waiting for their turn (for tests and diagnostics).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _lines.Sum(line => line.Count(w => !w.Task.IsCompleted));
            }
        }
    }

    /// <summary>Completes when it is the caller's turn; dispose the answer to pass the turn on.</summary>
    public async ValueTask<Turn> EnterAsync(WriteUrgency urgency, CancellationToken ct = default)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return new Turn(this);
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _lines[LineOf(urgency)].Enqueue(waiter);
        }
        if (ct.CanBeCanceled)
        {
            // Cancelled waiters stay queued as completed tasks; Exit skips them.
            await using var registration = ct.Register(() => waiter.TrySetCanceled(ct));
            await waiter.Task;
        }
        else
        {
            await waiter.Task;
        }
        return new Turn(this);
    }

    private void Exit()
    {
        lock (_lock)
        {
            foreach (var line in _lines)
            {
                while (line.TryDequeue(out var next))
                {
                    // The turn is handed over still held; a waiter that was cancelled meanwhile refuses it.
                    if (next.TrySetResult())
                    {
                        return;
                    }
                }
            }
            _held = false;
        }
    }

    private static int LineOf(WriteUrgency urgency) => urgency switch
    {
        WriteUrgency.Urgent => 0,
        WriteUrgency.Delivery => 1,
        _ => 2,
    };

    /// <summary>The caller's turn at the write lock, until disposed.</summary>
    public readonly struct Turn(WriteGate? gate) : IDisposable
    {
        /// <summary>A turn that holds nothing (databases that take concurrent writers).</summary>
        public static Turn None => new(null);

        public void Dispose() => gate?.Exit();
    }
}
