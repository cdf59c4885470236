-- MsgMate read models (SQLite and PostgreSQL: the same SQL on both). Applied at node start; every statement is idempotent.
-- Times are Unix milliseconds (BIGINT) in every dialect. `version` is the entity's sequence number
-- of the last event folded into the row: writes carry it and never move a row backwards.
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
    status       INTEGER      NOT NULL,
    create_time  BIGINT       NOT NULL,
    modify_time  BIGINT       NOT NULL,
    version      BIGINT       NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_mm_users_created ON mm_users (create_time, user_id);
CREATE INDEX IF NOT EXISTS ix_mm_users_status ON mm_users (status, create_time);
CREATE TABLE IF NOT EXISTS mm_user_tags (
    tag      VARCHAR(32) NOT NULL,
    user_id  VARCHAR(64) NOT NULL,
    PRIMARY KEY (tag, user_id)
);
CREATE INDEX IF NOT EXISTS ix_mm_user_tags_user ON mm_user_tags (user_id);
CREATE TABLE IF NOT EXISTS mm_templates (
    template_id      VARCHAR(64)  NOT NULL PRIMARY KEY,
    source_id        VARCHAR(64)  NOT NULL,
    name             VARCHAR(128) NOT NULL,
    channel          INTEGER      NOT NULL,
    subject          VARCHAR(256) NOT NULL DEFAULT '',
    content          TEXT         NOT NULL,
    sign_name        VARCHAR(128) NOT NULL DEFAULT '',
    rel_template_id  VARCHAR(128) NOT NULL DEFAULT '',
    status           INTEGER      NOT NULL,
    deleted          INTEGER      NOT NULL DEFAULT 0,
    create_time      BIGINT       NOT NULL,
    modify_time      BIGINT       NOT NULL,
    version          BIGINT       NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_mm_templates_created ON mm_templates (deleted, create_time);
CREATE INDEX IF NOT EXISTS ix_mm_templates_source ON mm_templates (source_id, channel);
CREATE TABLE IF NOT EXISTS mm_projection_offsets (
    projection    VARCHAR(64) NOT NULL PRIMARY KEY,
    offset_value  BIGINT      NOT NULL
);
