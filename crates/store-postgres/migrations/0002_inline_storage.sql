-- Rows up to a page stay inline and uncompressed: a step's history chunk (8 events of a 3-state
-- Pass chain are about 2 KiB) and an execution's input and output would otherwise be compressed
-- with pglz on every insert once past 2 KiB, which cost more than the rest of the insert.
-- Larger values are compressed with lz4 where the server has it (PostgreSQL 14+ built with it).
ALTER TABLE history_chunks SET (toast_tuple_target = 8160);
ALTER TABLE executions SET (toast_tuple_target = 8160);
ALTER TABLE journal SET (toast_tuple_target = 8160);
DO $$
BEGIN
    ALTER TABLE history_chunks ALTER COLUMN events SET COMPRESSION lz4;
    ALTER TABLE executions ALTER COLUMN input SET COMPRESSION lz4;
    ALTER TABLE executions ALTER COLUMN output SET COMPRESSION lz4;
    ALTER TABLE journal ALTER COLUMN event SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    NULL;
END $$;
