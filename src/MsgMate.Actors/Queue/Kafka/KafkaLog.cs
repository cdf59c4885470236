using Akka.Event;
using Confluent.Kafka;
using Error = Confluent.Kafka.Error;
using LogMessage = Confluent.Kafka.LogMessage;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>librdkafka's log and error callbacks, routed to Akka's logging (they arrive on librdkafka's threads).</summary>
internal static class KafkaLog
{
    public static void Write(ILoggingAdapter? log, LogMessage message)
    {
        if (log is null)
        {
            return;
        }
        switch (message.Level)
        {
            case SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical:
                log.Error("librdkafka {0} [{1}] {2}", message.Name, message.Facility, message.Message);
                break;
            // librdkafka logs every failed connection attempt at level 3 while it retries by itself: a warning.
            case SyslogLevel.Error or SyslogLevel.Warning:
                log.Warning("librdkafka {0} [{1}] {2}", message.Name, message.Facility, message.Message);
                break;
            case SyslogLevel.Notice or SyslogLevel.Info:
                log.Info("librdkafka {0} [{1}] {2}", message.Name, message.Facility, message.Message);
                break;
            default:
                log.Debug("librdkafka {0} [{1}] {2}", message.Name, message.Facility, message.Message);
                break;
        }
    }

    public static void Error(ILoggingAdapter? log, string client, Error error)
    {
        if (log is null)
        {
            return;
        }
        // Most client errors are transient and librdkafka recovers by itself; the log callback has already
        // reported each failed connection, so only the state of the whole cluster is worth a warning here.
        if (error.IsFatal)
        {
            log.Error("Kafka {0}: fatal error {1}: {2}", client, error.Code, error.Reason);
        }
        else if (error.Code == ErrorCode.Local_AllBrokersDown)
        {
            log.Warning("Kafka {0}: all brokers down: {1}", client, error.Reason);
        }
        else
        {
            log.Debug("Kafka {0}: {1}: {2}", client, error.Code, error.Reason);
        }
    }
}
