-- Several nodes on one database. nodes: one row per running process, its lease on the
-- database's clock. partitions: a fixed set (64), each with the epoch that fences its writers
-- (every fenced batch reads its partition's row FOR SHARE and is refused at another epoch;
-- taking a partition is epoch = epoch + 1, which waits for those readers to finish).
CREATE TABLE nodes (
    node_id text PRIMARY KEY,
    address text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz NOT NULL
);

CREATE TABLE partitions (
    id int PRIMARY KEY,
    epoch bigint NOT NULL DEFAULT 0,
    owner text,
    owned_at timestamptz
);
INSERT INTO partitions (id) SELECT generate_series(0, 63);
