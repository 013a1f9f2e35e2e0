-- The first schema. Times are milliseconds since the Unix epoch; names and statuses are AWS's
-- spellings (RUNNING, STANDARD…); JSON documents are kept as the text clients sent.

CREATE TABLE state_machines (
    arn TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT,
    logging_configuration TEXT,
    tracing_configuration TEXT,
    encryption_configuration TEXT,
    revision_id TEXT NOT NULL,
    last_version_number INTEGER NOT NULL,
    creation_date INTEGER NOT NULL
);
-- ListStateMachines: one account and region, by name.
CREATE INDEX state_machines_by_name ON state_machines (account, region, name, arn);

-- What executions run on, kept after their machine is updated or deleted.
CREATE TABLE revisions (
    state_machine_arn TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    logging_configuration TEXT,
    tracing_configuration TEXT,
    encryption_configuration TEXT,
    creation_date INTEGER NOT NULL,
    PRIMARY KEY (state_machine_arn, revision_id)
);

CREATE TABLE versions (
    arn TEXT NOT NULL PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    number INTEGER NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT,
    revision_id TEXT NOT NULL,
    logging_configuration TEXT,
    tracing_configuration TEXT,
    encryption_configuration TEXT,
    creation_date INTEGER NOT NULL
);
CREATE UNIQUE INDEX versions_by_machine ON versions (state_machine_arn, number);

CREATE TABLE aliases (
    arn TEXT NOT NULL PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    creation_date INTEGER NOT NULL,
    update_date INTEGER NOT NULL
);
CREATE INDEX aliases_by_machine ON aliases (state_machine_arn, creation_date, arn);

-- An alias's routing configuration, one row per version, in the client's order.
CREATE TABLE alias_routes (
    alias_arn TEXT NOT NULL,
    position INTEGER NOT NULL,
    version_arn TEXT NOT NULL,
    weight INTEGER NOT NULL,
    PRIMARY KEY (alias_arn, position)
) WITHOUT ROWID;
CREATE INDEX alias_routes_by_version ON alias_routes (version_arn, alias_arn);

CREATE TABLE activities (
    arn TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    encryption_configuration TEXT,
    creation_date INTEGER NOT NULL
);
CREATE INDEX activities_by_name ON activities (account, region, name, arn);

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
) WITHOUT ROWID;

-- seq orders executions created at the same millisecond; list_date is ListExecutions' sort
-- date (start or redrive date while running, stop date after).
CREATE TABLE executions (
    seq INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    version_arn TEXT,
    alias_arn TEXT,
    revision_id TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date INTEGER NOT NULL,
    stop_date INTEGER,
    redrive_count INTEGER NOT NULL,
    redrive_date INTEGER,
    map_run_arn TEXT,
    parent_arn TEXT,
    trace_header TEXT,
    list_date INTEGER NOT NULL
);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, list_date, seq);
CREATE INDEX executions_by_version ON executions (version_arn, list_date, seq)
    WHERE version_arn IS NOT NULL;
CREATE INDEX executions_by_alias ON executions (alias_arn, list_date, seq)
    WHERE alias_arn IS NOT NULL;
CREATE INDEX executions_by_map_run ON executions (map_run_arn, list_date, seq)
    WHERE map_run_arn IS NOT NULL;
-- Recovery reads only these.
CREATE INDEX executions_unfinished ON executions (start_date, seq)
    WHERE status IN ('RUNNING', 'PENDING_REDRIVE');

-- History events and journal entries are keyed by one integer: the execution's seq times 2^24
-- plus the event id (or entry sequence number). A new execution's rows then append at the right
-- edge of a rowid B-tree, SQLite's cheapest insert, and a group commit of many executions
-- touches few pages. Ids stay below 2^24 (AWS stops a history at 25,000 events).
CREATE TABLE history (
    key INTEGER PRIMARY KEY,
    event TEXT NOT NULL
);

CREATE TABLE journal (
    key INTEGER PRIMARY KEY,
    event TEXT NOT NULL
);

CREATE TABLE timers (
    execution_arn TEXT NOT NULL,
    timer_id INTEGER NOT NULL,
    fire_at INTEGER NOT NULL,
    PRIMARY KEY (execution_arn, timer_id)
) WITHOUT ROWID;
CREATE INDEX timers_by_time ON timers (fire_at, execution_arn, timer_id);

-- seq orders tasks scheduled at the same millisecond for claiming.
CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    token TEXT,
    activity_arn TEXT,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    worker_name TEXT,
    scheduled_at INTEGER NOT NULL,
    started_at INTEGER,
    heartbeat_deadline INTEGER,
    timeout_deadline INTEGER,
    UNIQUE (execution_arn, task_id)
);
CREATE UNIQUE INDEX tasks_by_token ON tasks (token) WHERE token IS NOT NULL;
-- GetActivityTask: the oldest scheduled task of one activity.
CREATE INDEX tasks_claimable ON tasks (activity_arn, scheduled_at, seq)
    WHERE status = 'SCHEDULED' AND activity_arn IS NOT NULL;

CREATE TABLE map_runs (
    arn TEXT NOT NULL PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    max_concurrency INTEGER NOT NULL,
    tolerated_failure_percentage REAL NOT NULL,
    tolerated_failure_count INTEGER NOT NULL,
    item_counts TEXT NOT NULL,
    execution_counts TEXT NOT NULL,
    start_date INTEGER NOT NULL,
    stop_date INTEGER,
    redrive_count INTEGER NOT NULL,
    redrive_date INTEGER
);
CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, start_date, arn);
