-- One group commit of 100 three-Pass Standard executions, each started and finished in one
-- step: the partition's epoch checked, 100 execution rows, 100 journal rows, 100 history
-- chunks (the step's eight events in one row). Arrays are sent as the writer would send them
-- (`unnest`).
\set p random(0, 63)
BEGIN;
SELECT epoch FROM partitions WHERE id = :p FOR SHARE;
WITH rows AS (
    SELECT md5(random()::text || i) AS id, i FROM generate_series(1, 100) AS i
), inserted AS (
    INSERT INTO executions (arn, partition_id, state_machine_arn, status, input, output,
                            start_date, stop_date, list_date)
    SELECT 'arn:aws:states:us-east-1:123456789012:execution:bench:' || id, :p,
           'arn:aws:states:us-east-1:123456789012:stateMachine:bench', 'SUCCEEDED',
           '{"n":1}', '{"n":1,"a":1,"b":2}', 1765000000000, 1765000000003, 1765000000003
    FROM unnest(array(SELECT id FROM rows)) AS id
    RETURNING seq
), journal_rows AS (
    INSERT INTO journal (execution_seq, seq, epoch, event)
    SELECT seq, 1, 0, '{"Started":{"input":{"n":1},"time":1765000000000,"name":"x"}}' FROM inserted
    RETURNING execution_seq
)
INSERT INTO history_chunks (execution_seq, first_id, events)
SELECT execution_seq, 1, repeat('{"type":"PassStateEntered","id":2,"previousEventId":1,"timestamp":1765000000001,"details":{"name":"A","input":"{\"n\":1}"}}', 8)
FROM journal_rows;
COMMIT;
