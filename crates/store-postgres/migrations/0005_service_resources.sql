-- Service resources: the resources of the services beside Step Functions (EventBridge buses and
-- rules, …) as JSON, versioned so that a replacement can require the version it read.
CREATE TABLE service_resources (
    kind text NOT NULL,
    arn text NOT NULL,
    account text NOT NULL,
    body text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (kind, arn)
);
CREATE INDEX service_resources_by_account ON service_resources (kind, account, arn);
