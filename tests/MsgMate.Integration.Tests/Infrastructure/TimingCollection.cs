namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// Tests that measure time (precision, priorities, failover) or start node processes run alone, after the
/// parallel ones: on a 2-core machine their numbers would otherwise measure the other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
