-- Akka.Persistence.Sql journal, tag table and snapshot store (the plugin's default mapping) for PostgreSQL,
-- created before the plugin starts so that the lookup indexes exist on every database we support.
CREATE TABLE IF NOT EXISTS journal (
    ordering         BIGSERIAL    NOT NULL PRIMARY KEY,
    created          BIGINT       NOT NULL,
    deleted          BOOLEAN      NOT NULL,
    persistence_id   VARCHAR(255) NOT NULL,
    sequence_number  BIGINT       NOT NULL,
    message          BYTEA        NOT NULL,
    manifest         VARCHAR(500) NULL,
    identifier       INTEGER      NULL,
    writer_uuid      VARCHAR(128) NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_persistence_id_sequence_number_uq ON journal (persistence_id, sequence_number);
CREATE INDEX IF NOT EXISTS journal_created_idx ON journal (created);
CREATE TABLE IF NOT EXISTS tags (
    ordering_id     BIGINT       NOT NULL,
    tag             VARCHAR(64)  NOT NULL,
    sequence_nr     BIGINT       NOT NULL,
    persistence_id  VARCHAR(255) NOT NULL,
    PRIMARY KEY (ordering_id, tag)
);
CREATE INDEX IF NOT EXISTS tags_tag_ordering_idx ON tags (tag, ordering_id);
CREATE INDEX IF NOT EXISTS tags_persistence_id_sequence_nr_idx ON tags (persistence_id, sequence_nr);
CREATE TABLE IF NOT EXISTS snapshot (
    persistence_id   VARCHAR(255) NOT NULL,
    sequence_number  BIGINT       NOT NULL,
    created          BIGINT       NOT NULL,
    snapshot         BYTEA        NULL,
    manifest         VARCHAR(500) NULL,
    serializer_id    INTEGER      NULL,
    PRIMARY KEY (persistence_id, sequence_number)
);
