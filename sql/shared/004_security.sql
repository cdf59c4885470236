-- API keys: the secret itself is never stored, only its SHA-256 (hex). scopes is a comma-separated list.
-- Times are Unix milliseconds; 0 = never (expires_at) / not revoked (revoked_at). A rotated key keeps working
-- until its expires_at (the grace period), then it is refused like a revoked one.
CREATE TABLE IF NOT EXISTS mm_api_keys (
    key_id      VARCHAR(32)  NOT NULL PRIMARY KEY,
    source_id   VARCHAR(64)  NOT NULL,
    scopes      VARCHAR(128) NOT NULL,
    name        VARCHAR(128) NOT NULL DEFAULT '',
    secret_hash VARCHAR(64)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    created_by  VARCHAR(32)  NOT NULL DEFAULT '',
    expires_at  BIGINT       NOT NULL DEFAULT 0,
    revoked_at  BIGINT       NOT NULL DEFAULT 0,
    replaced_by VARCHAR(32)  NOT NULL DEFAULT ''
);
-- The audit trail: who (key id and source; the legacy or open caller's source with an empty key id) changed what
-- and when. Written in the same request as the change, after it succeeded.
CREATE TABLE IF NOT EXISTS mm_audit (
    id         VARCHAR(36)   NOT NULL PRIMARY KEY,
    at         BIGINT        NOT NULL,
    key_id     VARCHAR(32)   NOT NULL,
    source_id  VARCHAR(64)   NOT NULL,
    remote     VARCHAR(64)   NOT NULL,
    action     VARCHAR(64)   NOT NULL,
    target     VARCHAR(128)  NOT NULL,
    detail     VARCHAR(1024) NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ix_mm_audit_at ON mm_audit (at);
CREATE INDEX IF NOT EXISTS ix_mm_audit_action ON mm_audit (action, at);
-- Quotas, with the Go project's meaning: num messages per unit milliseconds for a channel; scope 'global'
-- (subject ''), 'source' (subject = source id), 'user' (subject = source id + '/' + user id), 'recipient'
-- (subject '' = every address: no more than num messages to one address per unit).
CREATE TABLE IF NOT EXISTS mm_quotas (
    scope      VARCHAR(16)  NOT NULL,
    subject    VARCHAR(200) NOT NULL,
    channel    INTEGER      NOT NULL,
    num        BIGINT       NOT NULL,
    unit_ms    BIGINT       NOT NULL,
    modify_time BIGINT      NOT NULL,
    PRIMARY KEY (scope, subject, channel)
);
