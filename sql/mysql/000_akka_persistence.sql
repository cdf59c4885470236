-- Akka.Persistence.Sql journal, tag table and snapshot store (the plugin's default mapping) for MySQL and
-- MariaDB. Created here, before the plugin starts, because its auto-initialisation creates the payload
-- columns as VARBINARY(255) on MySQL-family servers (events over 255 bytes fail) and no lookup indexes.
CREATE TABLE IF NOT EXISTS journal (
    `ordering`         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `created`          BIGINT       NOT NULL,
    `deleted`          TINYINT(1)   NOT NULL,
    `persistence_id`   VARCHAR(255) NOT NULL,
    `sequence_number`  BIGINT       NOT NULL,
    `message`          LONGBLOB     NOT NULL,
    `manifest`         VARCHAR(500) NULL,
    `identifier`       INT          NULL,
    `writer_uuid`      VARCHAR(128) NULL,
    UNIQUE INDEX journal_persistence_id_sequence_number_uq (`persistence_id`, `sequence_number`),
    INDEX journal_created_idx (`created`)
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE IF NOT EXISTS tags (
    `ordering_id`     BIGINT       NOT NULL,
    `tag`             VARCHAR(64)  NOT NULL,
    `sequence_nr`     BIGINT       NOT NULL,
    `persistence_id`  VARCHAR(255) NOT NULL,
    PRIMARY KEY (`ordering_id`, `tag`),
    INDEX tags_tag_ordering_idx (`tag`, `ordering_id`),
    INDEX tags_persistence_id_sequence_nr_idx (`persistence_id`, `sequence_nr`)
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE IF NOT EXISTS snapshot (
    `persistence_id`   VARCHAR(255) NOT NULL,
    `sequence_number`  BIGINT       NOT NULL,
    `created`          BIGINT       NOT NULL,
    `snapshot`         LONGBLOB     NULL,
    `manifest`         VARCHAR(500) NULL,
    `serializer_id`    INT          NULL,
    PRIMARY KEY (`persistence_id`, `sequence_number`)
) DEFAULT CHARSET = utf8mb4;
