-- API keys: the secret itself is never stored, only its SHA-256 (hex). See sql/shared/004_security.sql.
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
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS mm_audit (
    id         VARCHAR(36)   NOT NULL PRIMARY KEY,
    at         BIGINT        NOT NULL,
    key_id     VARCHAR(32)   NOT NULL,
    source_id  VARCHAR(64)   NOT NULL,
    remote     VARCHAR(64)   NOT NULL,
    action     VARCHAR(64)   NOT NULL,
    target     VARCHAR(128)  NOT NULL,
    detail     VARCHAR(1024) NOT NULL DEFAULT '',
    INDEX ix_mm_audit_at (at),
    INDEX ix_mm_audit_action (action, at)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS mm_quotas (
    scope      VARCHAR(16)  NOT NULL,
    subject    VARCHAR(200) NOT NULL,
    channel    INT          NOT NULL,
    num        BIGINT       NOT NULL,
    unit_ms    BIGINT       NOT NULL,
    modify_time BIGINT      NOT NULL,
    PRIMARY KEY (scope, subject, channel)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
