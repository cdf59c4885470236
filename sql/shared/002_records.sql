-- Message records (the source of truth of every accepted message), their attempt history, dead letters and
-- idempotency keys. Times are Unix milliseconds. Status: 1 pending, 2 sent, 3 failed (final), 4 retrying,
-- 5 cancelled, 6 scheduled (a future send_msg, released by its schedule). The records table is also the outbox (queued = 0: not yet handed to Kafka) and, in the
-- SQL-queue mode, the queue itself (claimed with a lease: lease_until, claim_token). An attempt that scheduled a
-- retry keeps the retry's not-before time (retry_at; 0 when it scheduled none): the backoff the policy chose.
-- Columns added after a table's first release are not in these CREATE TABLEs: SqlDatabase.AddedColumns adds them.
CREATE TABLE IF NOT EXISTS mm_msg_records (
    msg_id                VARCHAR(36)   NOT NULL PRIMARY KEY,
    batch_id              VARCHAR(36)   NOT NULL,
    source_id             VARCHAR(64)   NOT NULL DEFAULT '',
    schedule_id           VARCHAR(36)   NOT NULL DEFAULT '',
    to_addr               VARCHAR(254)  NOT NULL,
    user_id               VARCHAR(64)   NOT NULL DEFAULT '',
    channel               INTEGER       NOT NULL,
    priority              INTEGER       NOT NULL,
    template_id           VARCHAR(64)   NOT NULL DEFAULT '',
    template_data         TEXT          NOT NULL,
    subject               VARCHAR(512)  NOT NULL DEFAULT '',
    body                  TEXT          NOT NULL,
    is_html               INTEGER       NOT NULL DEFAULT 0,
    sign_name             VARCHAR(128)  NOT NULL DEFAULT '',
    provider_template_id  VARCHAR(128)  NOT NULL DEFAULT '',
    status                INTEGER       NOT NULL,
    attempts              INTEGER       NOT NULL DEFAULT 0,
    retry_count           INTEGER       NOT NULL DEFAULT 0,
    last_error            VARCHAR(1024) NOT NULL DEFAULT '',
    not_before            BIGINT        NOT NULL,
    queued                INTEGER       NOT NULL DEFAULT 0,
    lease_until           BIGINT        NOT NULL DEFAULT 0,
    claim_token           VARCHAR(36)   NOT NULL DEFAULT '',
    create_time           BIGINT        NOT NULL,
    modify_time           BIGINT        NOT NULL,
    sent_time             BIGINT        NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_mm_records_claim ON mm_msg_records (status, priority, not_before);
CREATE INDEX IF NOT EXISTS ix_mm_records_outbox ON mm_msg_records (queued, priority, not_before);
CREATE INDEX IF NOT EXISTS ix_mm_records_created ON mm_msg_records (create_time);
CREATE INDEX IF NOT EXISTS ix_mm_records_batch ON mm_msg_records (batch_id);
CREATE INDEX IF NOT EXISTS ix_mm_records_to ON mm_msg_records (to_addr, create_time);
CREATE INDEX IF NOT EXISTS ix_mm_records_source ON mm_msg_records (source_id, create_time);
CREATE INDEX IF NOT EXISTS ix_mm_records_schedule ON mm_msg_records (schedule_id);
CREATE TABLE IF NOT EXISTS mm_msg_attempts (
    msg_id       VARCHAR(36)   NOT NULL,
    attempt      INTEGER       NOT NULL,
    at           BIGINT        NOT NULL,
    channel      INTEGER       NOT NULL,
    provider     VARCHAR(64)   NOT NULL,
    outcome      INTEGER       NOT NULL,
    error        VARCHAR(1024) NOT NULL DEFAULT '',
    duration_ms  INTEGER       NOT NULL,
    node         VARCHAR(128)  NOT NULL DEFAULT '',
    PRIMARY KEY (msg_id, attempt)
);
CREATE TABLE IF NOT EXISTS mm_dead_letters (
    msg_id   VARCHAR(36)   NOT NULL PRIMARY KEY,
    at       BIGINT        NOT NULL,
    channel  INTEGER       NOT NULL,
    error    VARCHAR(1024) NOT NULL
);
CREATE TABLE IF NOT EXISTS mm_idempotency (
    source_id     VARCHAR(64)  NOT NULL,
    idem_key      VARCHAR(128) NOT NULL,
    request_hash  VARCHAR(64)  NOT NULL,
    response      TEXT         NULL,
    create_time   BIGINT       NOT NULL,
    PRIMARY KEY (source_id, idem_key)
);
CREATE INDEX IF NOT EXISTS ix_mm_idempotency_created ON mm_idempotency (create_time);
