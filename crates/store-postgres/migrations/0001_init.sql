-- The first schema: the records of `store-sqlite`'s 0001_init.sql with PostgreSQL's types.
-- Times are milliseconds since the Unix epoch (bigint); names and statuses are AWS's spellings
-- (RUNNING, STANDARD…); JSON documents are kept as the text clients sent.

CREATE TABLE state_machines (
    arn text PRIMARY KEY,
    name text NOT NULL,
    account text NOT NULL,
    region text NOT NULL,
    definition text NOT NULL,
    role_arn text NOT NULL,
    type text NOT NULL,
    status text NOT NULL,
    description text,
    logging_configuration text,
    tracing_configuration text,
    encryption_configuration text,
    revision_id text NOT NULL,
    last_version_number bigint NOT NULL,
    creation_date bigint NOT NULL
);
-- ListStateMachines: one account and region, by name.
CREATE INDEX state_machines_by_name ON state_machines (account, region, name, arn);

-- What executions run on, kept after their machine is updated or deleted.
CREATE TABLE revisions (
    state_machine_arn text NOT NULL,
    revision_id text NOT NULL,
    definition text NOT NULL,
    role_arn text NOT NULL,
    logging_configuration text,
    tracing_configuration text,
    encryption_configuration text,
    creation_date bigint NOT NULL,
    PRIMARY KEY (state_machine_arn, revision_id)
);

CREATE TABLE versions (
    arn text PRIMARY KEY,
    state_machine_arn text NOT NULL,
    number bigint NOT NULL,
    definition text NOT NULL,
    role_arn text NOT NULL,
    description text,
    revision_id text NOT NULL,
    logging_configuration text,
    tracing_configuration text,
    encryption_configuration text,
    creation_date bigint NOT NULL
);
CREATE UNIQUE INDEX versions_by_machine ON versions (state_machine_arn, number);

CREATE TABLE aliases (
    arn text PRIMARY KEY,
    state_machine_arn text NOT NULL,
    name text NOT NULL,
    description text,
    creation_date bigint NOT NULL,
    update_date bigint NOT NULL
);
CREATE INDEX aliases_by_machine ON aliases (state_machine_arn, creation_date, arn);

-- An alias's routing configuration, one row per version, in the client's order.
CREATE TABLE alias_routes (
    alias_arn text NOT NULL,
    position int NOT NULL,
    version_arn text NOT NULL,
    weight bigint NOT NULL,
    PRIMARY KEY (alias_arn, position)
);
CREATE INDEX alias_routes_by_version ON alias_routes (version_arn, alias_arn);

CREATE TABLE activities (
    arn text PRIMARY KEY,
    name text NOT NULL,
    account text NOT NULL,
    region text NOT NULL,
    encryption_configuration text,
    creation_date bigint NOT NULL
);
CREATE INDEX activities_by_name ON activities (account, region, name, arn);

CREATE TABLE tags (
    resource_arn text NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

-- id keys the execution's history and journal (narrow bigint keys instead of
-- ARNs) and orders executions created at the same millisecond; list_date is ListExecutions'
-- sort date (the start date). partition_id places the execution for the node that steps it.
CREATE SEQUENCE execution_ids CACHE 64;
CREATE TABLE executions (
    id bigint PRIMARY KEY DEFAULT nextval('execution_ids'),
    partition_id int NOT NULL DEFAULT 0,
    arn text NOT NULL CONSTRAINT executions_arn_key UNIQUE,
    name text NOT NULL,
    state_machine_arn text NOT NULL,
    version_arn text,
    alias_arn text,
    revision_id text NOT NULL,
    type text NOT NULL,
    status text NOT NULL,
    input text NOT NULL,
    output text,
    error text,
    cause text,
    start_date bigint NOT NULL,
    stop_date bigint,
    redrive_count bigint NOT NULL,
    redrive_date bigint,
    map_run_arn text,
    parent_arn text,
    trace_header text,
    list_date bigint NOT NULL
);
ALTER SEQUENCE execution_ids OWNED BY executions.id;
CREATE INDEX executions_by_machine ON executions (state_machine_arn, list_date, id);
CREATE INDEX executions_by_version ON executions (version_arn, list_date, id)
    WHERE version_arn IS NOT NULL;
CREATE INDEX executions_by_alias ON executions (alias_arn, list_date, id)
    WHERE alias_arn IS NOT NULL;
CREATE INDEX executions_by_map_run ON executions (map_run_arn, list_date, id)
    WHERE map_run_arn IS NOT NULL;
-- Recovery reads only these.
CREATE INDEX executions_unfinished ON executions (partition_id, start_date, id)
    WHERE status IN ('RUNNING', 'PENDING_REDRIVE');

-- History: one row per appended run of consecutive events (a step's events), not per event:
-- a step's history is one heap row and one index entry. events[i] is event first_event + i - 1.
CREATE TABLE history_chunks (
    execution_id bigint NOT NULL,
    first_event bigint NOT NULL,
    last_event bigint NOT NULL,
    events text[] NOT NULL,
    PRIMARY KEY (execution_id, first_event)
);

-- epoch: the writer's partition epoch when the entry was written (0 on one node).
CREATE TABLE journal (
    execution_id bigint NOT NULL,
    seq bigint NOT NULL,
    epoch bigint NOT NULL DEFAULT 0,
    event text NOT NULL,
    PRIMARY KEY (execution_id, seq)
);

-- Timers and tasks name their execution by ARN, as the store's records do: due timers and
-- claimed tasks are read without a join, and neither needs the execution written first.
CREATE TABLE timers (
    execution_arn text NOT NULL,
    timer_id bigint NOT NULL,
    fire_at bigint NOT NULL,
    PRIMARY KEY (execution_arn, timer_id)
);
CREATE INDEX timers_by_time ON timers (fire_at, execution_arn, timer_id);

-- id orders tasks scheduled at the same millisecond for claiming.
CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_arn text NOT NULL,
    task_id bigint NOT NULL,
    kind text NOT NULL,
    token text,
    activity_arn text,
    input text NOT NULL,
    status text NOT NULL,
    worker_name text,
    scheduled_at bigint NOT NULL,
    started_at bigint,
    heartbeat_deadline bigint,
    timeout_deadline bigint,
    CONSTRAINT tasks_execution_task_key UNIQUE (execution_arn, task_id)
);
CREATE UNIQUE INDEX tasks_by_token ON tasks (token) WHERE token IS NOT NULL;
-- GetActivityTask: the oldest scheduled task of one activity.
CREATE INDEX tasks_claimable ON tasks (activity_arn, scheduled_at, id)
    WHERE status = 'SCHEDULED' AND activity_arn IS NOT NULL;

CREATE TABLE map_runs (
    arn text PRIMARY KEY,
    execution_arn text NOT NULL,
    state_machine_arn text NOT NULL,
    status text NOT NULL,
    max_concurrency bigint NOT NULL,
    tolerated_failure_percentage double precision NOT NULL,
    tolerated_failure_count bigint NOT NULL,
    item_counts text NOT NULL,
    execution_counts text NOT NULL,
    start_date bigint NOT NULL,
    stop_date bigint,
    redrive_count bigint NOT NULL,
    redrive_date bigint
);
CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, start_date, arn);

-- The churning tables: vacuum them early.
ALTER TABLE timers SET (autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE tasks SET (autovacuum_vacuum_scale_factor = 0.02);
