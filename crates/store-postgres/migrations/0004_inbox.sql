-- The inbox: events for an execution written by a node that does not run it (a callback's
-- result, a stop request), read by the node that owns its partition and deleted in the batch
-- that applies them. Ids come from a sequence: increasing, never given twice.
CREATE TABLE inbox (
    id bigserial PRIMARY KEY,
    partition_id int NOT NULL,
    execution_arn text NOT NULL,
    event text NOT NULL,
    created bigint NOT NULL
);
CREATE INDEX inbox_by_partition ON inbox (partition_id, id);
