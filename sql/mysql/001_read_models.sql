-- MsgMate read models (MySQL 8 / MariaDB 10.6+). Applied at node start; every statement is idempotent.
-- Times are Unix milliseconds (BIGINT) in every dialect. `version` is the entity's sequence number
-- of the last event folded into the row: writes carry it and never move a row backwards.
-- Indexes are declared inline: MySQL has no CREATE INDEX IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS mm_users (
    user_id      VARCHAR(64)  NOT NULL PRIMARY KEY,
    name         VARCHAR(64)  NOT NULL,
    nickname     VARCHAR(64)  NOT NULL DEFAULT '',
    mobile       VARCHAR(32)  NOT NULL DEFAULT '',
    email        VARCHAR(254) NOT NULL DEFAULT '',
    lark_id      VARCHAR(128) NOT NULL DEFAULT '',
    dingtalk_id  VARCHAR(128) NOT NULL DEFAULT '',
    wechat_id    VARCHAR(128) NOT NULL DEFAULT '',
    tags         TEXT         NOT NULL,
    status       INT          NOT NULL,
    create_time  BIGINT       NOT NULL,
    modify_time  BIGINT       NOT NULL,
    version      BIGINT       NOT NULL,
    INDEX ix_mm_users_created (create_time, user_id),
    INDEX ix_mm_users_status (status, create_time)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS mm_user_tags (
    tag      VARCHAR(32) NOT NULL,
    user_id  VARCHAR(64) NOT NULL,
    PRIMARY KEY (tag, user_id),
    INDEX ix_mm_user_tags_user (user_id)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS mm_templates (
    template_id      VARCHAR(64)  NOT NULL PRIMARY KEY,
    source_id        VARCHAR(64)  NOT NULL,
    name             VARCHAR(128) NOT NULL,
    channel          INT          NOT NULL,
    subject          VARCHAR(256) NOT NULL DEFAULT '',
    content          MEDIUMTEXT   NOT NULL,
    sign_name        VARCHAR(128) NOT NULL DEFAULT '',
    rel_template_id  VARCHAR(128) NOT NULL DEFAULT '',
    status           INT          NOT NULL,
    deleted          INT          NOT NULL DEFAULT 0,
    create_time      BIGINT       NOT NULL,
    modify_time      BIGINT       NOT NULL,
    version          BIGINT       NOT NULL,
    INDEX ix_mm_templates_created (deleted, create_time),
    INDEX ix_mm_templates_source (source_id, channel)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS mm_projection_offsets (
    projection    VARCHAR(64) NOT NULL PRIMARY KEY,
    offset_value  BIGINT      NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
