-- Read model of schedules (list, get) and the due-time index that wakes schedule entities shortly before they
-- are due (status, next_fire_at). `state` is the entity's state as JSON, so that the projection can fold the
-- next event into it. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS mm_schedules (
    schedule_id      VARCHAR(36)   NOT NULL PRIMARY KEY,
    source_id        VARCHAR(64)   NOT NULL DEFAULT '',
    status           INTEGER       NOT NULL,
    scheduled_time   BIGINT        NOT NULL,
    next_fire_at     BIGINT        NOT NULL,
    fired_count      INTEGER       NOT NULL,
    actual_send_time BIGINT        NOT NULL,
    state            TEXT          NOT NULL,
    create_time      BIGINT        NOT NULL,
    modify_time      BIGINT        NOT NULL,
    version          BIGINT        NOT NULL

);
CREATE INDEX IF NOT EXISTS ix_mm_schedules_due ON mm_schedules (status, next_fire_at);
CREATE INDEX IF NOT EXISTS ix_mm_schedules_created ON mm_schedules (create_time);
