using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// The committable source of one lane. Each materialization starts one <see cref="KafkaConsumerActor"/> (one group
/// member) and talks to it through a stage actor: it asks for records when its buffer is half empty, never for
/// more than <see cref="KafkaQueueOptions.MaxPollBatch"/> in all, so a slow downstream slows the polling instead
/// of filling memory. The materialized value is the <see cref="KafkaQueueControl"/>.
/// </summary>
internal sealed class KafkaSourceStage : GraphStageWithMaterializedValue<SourceShape<CommittableJob>, IQueueControl>
{
    private readonly KafkaQueueOptions _options;
    private readonly QueueLane _lane;
    private readonly Action<KafkaQueueControl>? _onMaterialized;

    public KafkaSourceStage(KafkaQueueOptions options, QueueLane lane, Action<KafkaQueueControl>? onMaterialized)
    {
        _options = options;
        _lane = lane;
        _onMaterialized = onMaterialized;
        Out = new Outlet<CommittableJob>($"kafka-source-{lane.ToString().ToLowerInvariant()}.out");
        Shape = new SourceShape<CommittableJob>(Out);
    }

    public Outlet<CommittableJob> Out { get; }

    public override SourceShape<CommittableJob> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName($"kafka-source-{_lane.ToString().ToLowerInvariant()}");

    public override ILogicAndMaterializedValue<IQueueControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var control = new KafkaQueueControl(_lane, _options);
        _onMaterialized?.Invoke(control);
        return new LogicAndMaterializedValue<IQueueControl>(new Logic(this, control), control);
    }

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly KafkaSourceStage _stage;
        private readonly KafkaQueueControl _control;
        private readonly Queue<CommittableJob> _buffer = new();
        private StageActor? _self;
        private IActorRef? _consumer;
        private int _requested;
        private bool _pulledOnce;
        private bool _stopping;

        public Logic(KafkaSourceStage stage, KafkaQueueControl control)
            : base(stage.Shape)
        {
            _stage = stage;
            _control = control;
            SetHandler(stage.Out, this);
        }

        private int Capacity => _stage._options.MaxPollBatch;

        public override void PreStart()
        {
            _self = GetStageActor(OnMessage);
            var system = (Materializer as ActorMaterializer)?.System
                ?? throw new InvalidOperationException("the Kafka source needs an ActorMaterializer");
            _consumer = system.ActorOf(
                KafkaConsumerActor.PropsFor(_stage._options, _stage._lane, _self.Ref, _control.Stats, _control.ShutdownPromise),
                $"kafka-consumer-{_stage._lane.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}");
            _self.Watch(_consumer);
            _control.Attach(_consumer, GetAsyncCallback(StopFetching));
        }

        public override void OnPull()
        {
            _pulledOnce = true;
            PushIfPossible();
            RequestMore();
        }

        public override void OnDownstreamFinish(Exception cause)
        {
            // The consumer stays for StopTimeout: elements already downstream may still commit.
            CompleteStage();
        }

        public override void PostStop()
        {
            _control.Stats.OnReleased(_buffer.Count);
            _buffer.Clear();
            if (_consumer is null)
            {
                _control.ShutdownPromise.TrySetResult();
            }
            else
            {
                _consumer.Tell(KafkaConsumerActor.SourceStopped.Instance, ActorRefs.NoSender);
            }
            _control.OnSourceStopped();
        }

        private void OnMessage((IActorRef Sender, object Message) args)
        {
            switch (args.Message)
            {
                case KafkaConsumerActor.Messages m:
                    _requested -= m.Jobs.Count;
                    if (_stopping)
                    {
                        _control.Stats.OnReleased(m.Jobs.Count);
                        break;
                    }
                    foreach (var job in m.Jobs)
                    {
                        _buffer.Enqueue(job);
                    }
                    PushIfPossible();
                    RequestMore();
                    break;
                case KafkaConsumerActor.PartitionsRevoked r:
                    DropRevoked(r.Partitions);
                    break;
                case KafkaConsumerActor.ConsumerFailed f:
                    FailStage(f.Cause);
                    break;
                case Terminated t when t.ActorRef.Equals(_consumer):
                    FailStage(new InvalidOperationException($"the Kafka consumer of lane {_stage._lane} stopped"));
                    break;
            }
        }

        private void PushIfPossible()
        {
            if (_buffer.Count > 0 && IsAvailable(_stage.Out))
            {
                Push(_stage.Out, _buffer.Dequeue());
                _control.Stats.OnEmitted();
            }
        }

        /// <summary>Tops the buffer up once it is half empty; what is buffered plus what is asked for never exceeds the capacity.</summary>
        private void RequestMore()
        {
            if (!_pulledOnce || _stopping || _consumer is null)
            {
                return;
            }
            var room = Capacity - _buffer.Count - _requested;
            if (room > 0 && _buffer.Count + _requested <= Capacity / 2)
            {
                _requested += room;
                _consumer.Tell(new KafkaConsumerActor.RequestMessages(room), _self!.Ref);
            }
        }

        private void DropRevoked(IReadOnlyCollection<TopicPartition> partitions)
        {
            if (_buffer.Count == 0)
            {
                return;
            }
            var gone = partitions as ISet<TopicPartition> ?? partitions.ToHashSet();
            var keep = _buffer.Where(j =>
            {
                var o = (KafkaCommittableOffset)j.Offset;
                return !gone.Contains(new TopicPartition(o.Topic, o.Partition));
            }).ToList();
            _control.Stats.OnReleased(_buffer.Count - keep.Count);
            _buffer.Clear();
            foreach (var job in keep)
            {
                _buffer.Enqueue(job);
            }
        }

        /// <summary>From <see cref="KafkaQueueControl.StopAsync"/>: no more fetching; complete now, in-flight elements carry on downstream.</summary>
        private void StopFetching()
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            _consumer?.Tell(KafkaConsumerActor.StopFetching.Instance, _self!.Ref);
            CompleteStage();
        }
    }
}
