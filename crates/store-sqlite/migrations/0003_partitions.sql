-- Node leases and partitions with epochs, as on a shared store. One process at a time opens an
-- SQLite store (the folder lock), so it can own every partition; the records and the fence
-- are the same as PostgreSQL's, so one test suite covers both.
CREATE TABLE nodes (
    node_id TEXT NOT NULL PRIMARY KEY,
    address TEXT NOT NULL,
    lease_until INTEGER NOT NULL
);

CREATE TABLE partitions (
    id INTEGER PRIMARY KEY,
    epoch INTEGER NOT NULL DEFAULT 0,
    owner TEXT
);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 63)
INSERT INTO partitions (id) SELECT i FROM n;
