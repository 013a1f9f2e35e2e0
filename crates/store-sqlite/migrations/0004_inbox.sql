-- The partition an execution lives in (executions written before partitions: 0); and the
-- inbox, events for an execution written by a node that does not run it, read by the node
-- that owns its partition and deleted in the batch that applies them. AUTOINCREMENT: an id is
-- never given twice, even after the newest entry was consumed.
ALTER TABLE executions ADD COLUMN partition_id INTEGER NOT NULL DEFAULT 0;

CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partition_id INTEGER NOT NULL,
    execution_arn TEXT NOT NULL,
    event TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX inbox_by_partition ON inbox (partition_id, id);
