-- Service resources: the resources of the services beside Step Functions (EventBridge buses and
-- rules, …) as JSON, versioned so that a replacement can require the version it read.
CREATE TABLE service_resources (
    kind TEXT NOT NULL,
    arn TEXT NOT NULL,
    account TEXT NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (kind, arn)
) WITHOUT ROWID;
CREATE INDEX service_resources_by_account ON service_resources (kind, account, arn);
