-- Akka.Persistence.Sql journal, tag table and snapshot store (the plugin's default mapping) for SQLite,
-- created before the plugin starts so that the lookup indexes exist on every database we support.
CREATE TABLE IF NOT EXISTS journal (
    ordering         INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    created          INTEGER      NOT NULL,
    deleted          INTEGER      NOT NULL,
    persistence_id   VARCHAR(255) NOT NULL,
    sequence_number  INTEGER      NOT NULL,
    message          BLOB         NOT NULL,
    manifest         VARCHAR(500) NULL,
    identifier       INTEGER      NULL,
    writer_uuid      VARCHAR(128) NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_persistence_id_sequence_number_uq ON journal (persistence_id, sequence_number);
CREATE INDEX IF NOT EXISTS journal_created_idx ON journal (created);
CREATE TABLE IF NOT EXISTS tags (
    ordering_id     INTEGER      NOT NULL,
    tag             VARCHAR(64)  NOT NULL,
    sequence_nr     INTEGER      NOT NULL,
    persistence_id  VARCHAR(255) NOT NULL,
    PRIMARY KEY (ordering_id, tag)
);
CREATE INDEX IF NOT EXISTS tags_tag_ordering_idx ON tags (tag, ordering_id);
CREATE INDEX IF NOT EXISTS tags_persistence_id_sequence_nr_idx ON tags (persistence_id, sequence_nr);
CREATE TABLE IF NOT EXISTS snapshot (
    persistence_id   VARCHAR(255) NOT NULL,
    sequence_number  INTEGER      NOT NULL,
    created          INTEGER      NOT NULL,
    snapshot         BLOB         NULL,
    manifest         VARCHAR(500) NULL,
    serializer_id    INTEGER      NULL,
    PRIMARY KEY (persistence_id, sequence_number)
);
