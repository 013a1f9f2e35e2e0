-- The tables one step of a Standard execution writes, as the PostgreSQL design has them
-- (`executions` with its partition, `journal` rows carrying the writer's epoch, history stored
-- as one chunk row per step, or one row per event for comparison), and the partitions whose
-- epochs every step checks. For calibration only: not Baton's schema.
DROP TABLE IF EXISTS partitions, executions, journal, history_chunks, history CASCADE;
CREATE TABLE partitions (id int PRIMARY KEY, epoch bigint NOT NULL DEFAULT 0, owner uuid);
INSERT INTO partitions (id) SELECT generate_series(0, 63);
CREATE TABLE executions (
    seq bigserial PRIMARY KEY,
    arn text NOT NULL UNIQUE,
    partition_id int NOT NULL,
    state_machine_arn text NOT NULL,
    status text NOT NULL,
    input text NOT NULL,
    output text,
    start_date bigint NOT NULL,
    stop_date bigint,
    list_date bigint NOT NULL
);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, list_date, seq);
CREATE TABLE journal (
    execution_seq bigint NOT NULL,
    seq int NOT NULL,
    epoch bigint NOT NULL,
    event text NOT NULL,
    PRIMARY KEY (execution_seq, seq)
);
CREATE TABLE history_chunks (
    execution_seq bigint NOT NULL,
    first_id int NOT NULL,
    events text NOT NULL,
    PRIMARY KEY (execution_seq, first_id)
);
CREATE TABLE history (
    execution_seq bigint NOT NULL,
    id int NOT NULL,
    event text NOT NULL,
    PRIMARY KEY (execution_seq, id)
);
