//! State machines and ValidateStateMachineDefinition through the `StepFunctions` trait, on a
//! runtime over a temporary SQLite store: AWS's error codes and (where AWS's wording is known)
//! messages, idempotency, paging, and persistence across a restart.

mod support;

use baton_api::model::*;
use baton_api::StepFunctions;
use support::api::*;
use support::{ctx, other_account, Harness, PASS, PASS_2, ROLE};

// --- state machines ---------------------------------------------------------------------------

#[tokio::test]
async fn create_then_describe_shows_aws_defaults() {
    let h = Harness::new().await;
    let created = create(&h, "orders", PASS).await;
    assert_eq!(created.state_machine_arn, machine_arn("orders"));
    assert_eq!(created.state_machine_version_arn, None);
    let d = describe(&h, &created.state_machine_arn).await.unwrap();
    assert_eq!(d.name, "orders");
    assert_eq!(d.definition, PASS);
    assert_eq!(d.role_arn, ROLE);
    assert_eq!(d.r#type, StateMachineType::Standard);
    assert_eq!(d.status, Some(StateMachineStatus::Active));
    assert_eq!(d.creation_date, created.creation_date);
    // AWS fills in logging OFF and tracing off, and shows no revision id until an update.
    let logging = d.logging_configuration.unwrap();
    assert_eq!(logging.level, Some(LogLevel::Off));
    assert_eq!(logging.include_execution_data, Some(false));
    assert_eq!(d.tracing_configuration.unwrap().enabled, Some(false));
    assert_eq!(d.revision_id, None);
    // METADATA_ONLY leaves the definition out.
    let meta =
        h.rt.describe_state_machine(
            &ctx(),
            DescribeStateMachineInput {
                state_machine_arn: created.state_machine_arn.clone(),
                included_data: Some(IncludedData::MetadataOnly),
            },
        )
        .await
        .unwrap();
    assert_eq!(meta.definition, "{}");
}

#[tokio::test]
async fn create_express_with_configurations() {
    let h = Harness::new().await;
    let input = CreateStateMachineInput {
        r#type: Some(StateMachineType::Express),
        tracing_configuration: Some(TracingConfiguration {
            enabled: Some(true),
        }),
        encryption_configuration: Some(EncryptionConfiguration {
            kms_key_id: None,
            kms_data_key_reuse_period_seconds: None,
            r#type: EncryptionType::AwsOwnedKey,
        }),
        ..create_input("fast", PASS)
    };
    let created = h.rt.create_state_machine(&ctx(), input).await.unwrap();
    let d = describe(&h, &created.state_machine_arn).await.unwrap();
    assert_eq!(d.r#type, StateMachineType::Express);
    assert_eq!(d.tracing_configuration.unwrap().enabled, Some(true));
    assert_eq!(
        d.encryption_configuration.unwrap().r#type,
        EncryptionType::AwsOwnedKey
    );
    // A level other than OFF needs exactly one destination.
    let bad = CreateStateMachineInput {
        logging_configuration: Some(LoggingConfiguration {
            level: Some(LogLevel::All),
            ..Default::default()
        }),
        ..create_input("logged", PASS)
    };
    assert_error(
        h.rt.create_state_machine(&ctx(), bad).await,
        "InvalidLoggingConfiguration",
        Some("Invalid Logging Configuration: Must specify exactly one Log Destination."),
    );
}

#[tokio::test]
async fn create_is_idempotent_on_the_same_request() {
    let h = Harness::new().await;
    let first = create(&h, "same", PASS).await;
    let again = create(&h, "same", PASS).await;
    assert_eq!(again.state_machine_arn, first.state_machine_arn);
    assert_eq!(again.creation_date, first.creation_date);
    // AWS ignores a different role and tags on a repeat, and keeps the first ones.
    let other_role = CreateStateMachineInput {
        role_arn: "arn:aws:iam::111111111111:role/other".into(),
        tags: Some(vec![tag("k", "v")]),
        ..create_input("same", PASS)
    };
    let repeat = h.rt.create_state_machine(&ctx(), other_role).await.unwrap();
    assert_eq!(repeat.creation_date, first.creation_date);
    assert_eq!(
        describe(&h, &first.state_machine_arn)
            .await
            .unwrap()
            .role_arn,
        ROLE
    );
}

#[tokio::test]
async fn create_with_another_definition_is_state_machine_already_exists() {
    let h = Harness::new().await;
    create(&h, "taken", PASS).await;
    let arn = machine_arn("taken");
    assert_error(
        h.rt.create_state_machine(&ctx(), create_input("taken", PASS_2))
            .await,
        "StateMachineAlreadyExists",
        Some(&format!("State Machine Already Exists: '{arn}'")),
    );
    // The same JSON written differently is a different definition, as on AWS.
    let reformatted = PASS.replace(':', ": ");
    assert_error(
        h.rt.create_state_machine(&ctx(), create_input("taken", &reformatted))
            .await,
        "StateMachineAlreadyExists",
        None,
    );
    let express = CreateStateMachineInput {
        r#type: Some(StateMachineType::Express),
        ..create_input("taken", PASS)
    };
    assert_error(
        h.rt.create_state_machine(&ctx(), express).await,
        "StateMachineAlreadyExists",
        None,
    );
}

#[tokio::test]
async fn create_refuses_invalid_names() {
    let h = Harness::new().await;
    for name in ["with space", "a<b", "a:b", "a/b", "tab\tname"] {
        assert_error(
            h.rt.create_state_machine(&ctx(), create_input(name, PASS))
                .await,
            "InvalidName",
            Some(&format!("Invalid Name: '{name}'")),
        );
    }
    assert_error(
        h.rt.create_state_machine(&ctx(), create_input(&"n".repeat(81), PASS))
            .await,
        "ValidationException",
        None,
    );
}

#[tokio::test]
async fn create_refuses_a_role_that_is_not_an_iam_role_arn() {
    let h = Harness::new().await;
    let input = CreateStateMachineInput {
        role_arn: "arn:aws:iam::aws:policy/AWSBatchFullAccess".into(),
        ..create_input("roled", PASS)
    };
    assert_error(
        h.rt.create_state_machine(&ctx(), input).await,
        "InvalidArn",
        Some("Invalid Role Arn: 'arn:aws:iam::aws:policy/AWSBatchFullAccess'"),
    );
}

#[tokio::test]
async fn create_refuses_an_invalid_definition_with_aws_message() {
    let h = Harness::new().await;
    assert_error(
        h.rt.create_state_machine(&ctx(), create_input("broken", r#"{"StartAt":"A"}"#))
            .await,
        "InvalidDefinition",
        Some("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'"),
    );
    // Express machines refuse what Standard ones take.
    let activity = r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:work","End":true}}}"#;
    let express = CreateStateMachineInput {
        r#type: Some(StateMachineType::Express),
        ..create_input("express-activity", activity)
    };
    assert_error(
        h.rt.create_state_machine(&ctx(), express).await,
        "InvalidDefinition",
        Some("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at /States/A/Resource'"),
    );
    create(&h, "standard-activity", activity).await;
}

#[tokio::test]
async fn version_description_needs_publish() {
    let h = Harness::new().await;
    let input = CreateStateMachineInput {
        version_description: Some("first".into()),
        ..create_input("described", PASS)
    };
    assert_error(
        h.rt.create_state_machine(&ctx(), input).await,
        "ValidationException",
        Some("Version description can only be set when publish is true"),
    );
}

#[tokio::test]
async fn describe_refuses_absent_machines_and_bad_arns() {
    let h = Harness::new().await;
    let absent = machine_arn("absent");
    assert_error(
        describe(&h, &absent).await,
        "StateMachineDoesNotExist",
        Some(&format!("State Machine Does Not Exist: '{absent}'")),
    );
    assert_error(
        describe(&h, "not_a_valid_arn").await,
        "InvalidArn",
        Some("Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"),
    );
    assert_error(
        describe(&h, "arn:aws:states:us-east-1:111111111111:activity:work").await,
        "InvalidArn",
        Some("Invalid Arn: 'Resource type not valid in this context: activity'"),
    );
}

#[tokio::test]
async fn update_needs_something_to_update() {
    let h = Harness::new().await;
    let arn = create(&h, "fixed", PASS).await.state_machine_arn;
    assert_error(
        h.rt.update_state_machine(
            &ctx(),
            UpdateStateMachineInput {
                state_machine_arn: arn,
                ..Default::default()
            },
        )
        .await,
        "MissingRequiredParameter",
        Some("Either the definition, the role ARN, the LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must be specified"),
    );
}

#[tokio::test]
async fn update_writes_a_new_revision_only_when_something_changes() {
    let h = Harness::new().await;
    let arn = create(&h, "evolving", PASS).await.state_machine_arn;
    let first = update_definition(&h, &arn, PASS_2).await;
    let revision = first
        .revision_id
        .clone()
        .expect("a revision id after an update");
    assert_eq!(first.state_machine_version_arn, None);
    let d = describe(&h, &arn).await.unwrap();
    assert_eq!(d.definition, PASS_2);
    assert_eq!(d.revision_id.as_deref(), Some(revision.as_str()));
    // The same definition again changes nothing.
    let same = update_definition(&h, &arn, PASS_2).await;
    assert_eq!(same.revision_id.as_deref(), Some(revision.as_str()));
    // A new role is a new revision.
    let roled =
        h.rt.update_state_machine(
            &ctx(),
            UpdateStateMachineInput {
                state_machine_arn: arn.clone(),
                role_arn: Some("arn:aws:iam::111111111111:role/next".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(roled.revision_id, Some(revision));
    assert_eq!(
        describe(&h, &arn).await.unwrap().role_arn,
        "arn:aws:iam::111111111111:role/next"
    );
    // Every revision an execution may run is kept in the store.
    let store = h.rt.store();
    for id in [first.revision_id.unwrap(), roled.revision_id.unwrap()] {
        assert!(store.revision(&arn, &id).await.unwrap().is_some(), "{id}");
    }
}

#[tokio::test]
async fn update_refuses_bad_input() {
    let h = Harness::new().await;
    let arn = create(&h, "guarded", PASS).await.state_machine_arn;
    let update =
        |definition: Option<&str>, role: Option<&str>, target: &str| UpdateStateMachineInput {
            state_machine_arn: target.into(),
            definition: definition.map(str::to_string),
            role_arn: role.map(str::to_string),
            ..Default::default()
        };
    assert_error(
        h.rt.update_state_machine(&ctx(), update(Some("{}"), None, &arn)).await,
        "InvalidDefinition",
        Some("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /'"),
    );
    assert_error(
        h.rt.update_state_machine(&ctx(), update(None, Some("nope"), &arn))
            .await,
        "InvalidArn",
        Some("Invalid Role Arn: 'nope'"),
    );
    let absent = machine_arn("absent");
    assert_error(
        h.rt.update_state_machine(&ctx(), update(Some(PASS), None, &absent))
            .await,
        "StateMachineDoesNotExist",
        Some(&format!("State Machine Does Not Exist: '{absent}'")),
    );
    // A version ARN names no machine to update, as AWS answers.
    let version = format!("{arn}:1");
    assert_error(
        h.rt.update_state_machine(&ctx(), update(Some(PASS), None, &version))
            .await,
        "StateMachineDoesNotExist",
        Some(&format!("State Machine Does Not Exist: '{version}'")),
    );
    let mut described = update(Some(PASS_2), None, &arn);
    described.version_description = Some("v".into());
    assert_error(
        h.rt.update_state_machine(&ctx(), described).await,
        "ValidationException",
        Some("Version description can only be set when publish is true"),
    );
}

#[tokio::test]
async fn delete_removes_the_machine_with_its_versions_and_aliases() {
    let h = Harness::new().await;
    let created =
        h.rt.create_state_machine(
            &ctx(),
            CreateStateMachineInput {
                publish: Some(true),
                ..create_input("doomed", PASS)
            },
        )
        .await
        .unwrap();
    let version = created.state_machine_version_arn.unwrap();
    let alias = create_alias(&h, "live", vec![route(&version, 100)])
        .await
        .unwrap()
        .state_machine_alias_arn;
    h.rt.delete_state_machine(
        &ctx(),
        DeleteStateMachineInput {
            state_machine_arn: created.state_machine_arn.clone(),
        },
    )
    .await
    .unwrap();
    assert_error(
        describe(&h, &created.state_machine_arn).await,
        "StateMachineDoesNotExist",
        None,
    );
    assert_error(
        describe(&h, &version).await,
        "StateMachineDoesNotExist",
        None,
    );
    assert_error(
        h.rt.describe_state_machine_alias(
            &ctx(),
            DescribeStateMachineAliasInput {
                state_machine_alias_arn: alias,
            },
        )
        .await,
        "ResourceNotFound",
        None,
    );
    // The name can be used again.
    create(&h, "doomed", PASS_2).await;
}

#[tokio::test]
async fn delete_of_an_absent_machine_succeeds() {
    let h = Harness::new().await;
    h.rt.delete_state_machine(
        &ctx(),
        DeleteStateMachineInput {
            state_machine_arn: machine_arn("never"),
        },
    )
    .await
    .unwrap();
    assert_error(
        h.rt.delete_state_machine(
            &ctx(),
            DeleteStateMachineInput {
                state_machine_arn: "invalid".into(),
            },
        )
        .await,
        "InvalidArn",
        Some("Invalid Arn: 'Invalid ARN prefix: invalid'"),
    );
}

#[tokio::test]
async fn list_pages_through_the_callers_machines_by_name() {
    let h = Harness::new().await;
    for name in ["e", "c", "a", "d", "b"] {
        create(&h, name, PASS).await;
    }
    h.rt.create_state_machine(&other_account(), create_input("other", PASS))
        .await
        .unwrap();
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page =
            h.rt.list_state_machines(
                &ctx(),
                ListStateMachinesInput {
                    max_results: Some(2),
                    next_token: token.clone(),
                },
            )
            .await
            .unwrap();
        pages += 1;
        assert!(page.state_machines.len() <= 2);
        names.extend(page.state_machines.into_iter().map(|m| m.name));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, 3);
    // maxResults 0 is AWS's default page size.
    let all =
        h.rt.list_state_machines(
            &ctx(),
            ListStateMachinesInput {
                max_results: Some(0),
                next_token: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.state_machines.len(), 5);
    assert_eq!(all.next_token, None);
}

#[tokio::test]
async fn a_page_token_the_service_did_not_issue_is_invalid_token() {
    let h = Harness::new().await;
    create(&h, "one", PASS).await;
    assert_error(
        h.rt.list_state_machines(
            &ctx(),
            ListStateMachinesInput {
                max_results: None,
                next_token: Some("garbage".into()),
            },
        )
        .await,
        "InvalidToken",
        Some("Invalid Token: 'Invalid token'"),
    );
    // A token of another listing is refused too.
    for name in ["x1", "x2"] {
        h.rt.create_activity(
            &ctx(),
            CreateActivityInput {
                name: name.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let page =
        h.rt.list_activities(
            &ctx(),
            ListActivitiesInput {
                max_results: Some(1),
                next_token: None,
            },
        )
        .await
        .unwrap();
    assert_error(
        h.rt.list_state_machines(
            &ctx(),
            ListStateMachinesInput {
                max_results: None,
                next_token: page.next_token,
            },
        )
        .await,
        "InvalidToken",
        None,
    );
}

#[tokio::test]
async fn state_machines_survive_a_restart() {
    let h = Harness::new().await;
    let created =
        h.rt.create_state_machine(
            &ctx(),
            CreateStateMachineInput {
                publish: Some(true),
                tags: Some(vec![tag("team", "core")]),
                ..create_input("durable", PASS)
            },
        )
        .await
        .unwrap();
    let revision = update_definition(&h, &created.state_machine_arn, PASS_2)
        .await
        .revision_id;
    let h = h.reopen().await;
    let d = describe(&h, &created.state_machine_arn).await.unwrap();
    assert_eq!(d.definition, PASS_2);
    assert_eq!(d.revision_id, revision);
    assert_eq!(d.creation_date, created.creation_date);
    let v1 = describe(&h, &created.state_machine_version_arn.unwrap())
        .await
        .unwrap();
    assert_eq!(v1.definition, PASS);
    let tags =
        h.rt.list_tags_for_resource(
            &ctx(),
            ListTagsForResourceInput {
                resource_arn: created.state_machine_arn.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(tags.tags, Some(vec![tag("team", "core")]));
    // Version numbers go on from where they were.
    let v2 = publish(&h, &created.state_machine_arn, None).await.unwrap();
    assert_eq!(
        v2.state_machine_version_arn,
        format!("{}:2", created.state_machine_arn)
    );
}

// --- validation -------------------------------------------------------------------------------

async fn validate(
    h: &Harness,
    definition: &str,
    severity: Option<ValidateStateMachineDefinitionSeverity>,
    max_results: Option<i32>,
) -> ValidateStateMachineDefinitionOutput {
    h.rt.validate_state_machine_definition(
        &ctx(),
        ValidateStateMachineDefinitionInput {
            definition: definition.into(),
            r#type: None,
            severity,
            max_results,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn validate_reports_result_and_diagnostics() {
    let h = Harness::new().await;
    let ok = validate(&h, PASS, None, None).await;
    assert_eq!(ok.result, ValidateStateMachineDefinitionResultCode::Ok);
    assert!(ok.diagnostics.is_empty());
    assert_eq!(ok.truncated, Some(false));

    let bad = validate(
        &h,
        r#"{"States":{"A":{"Type":"Pass","End":true}}}"#,
        None,
        None,
    )
    .await;
    assert_eq!(bad.result, ValidateStateMachineDefinitionResultCode::Fail);
    assert_eq!(
        bad.diagnostics,
        vec![ValidateStateMachineDefinitionDiagnostic {
            severity: ValidateStateMachineDefinitionSeverity::Error,
            code: "SCHEMA_VALIDATION_FAILED".into(),
            message: "These fields are required: [StartAt]".into(),
            location: Some("/".into()),
        }]
    );

    let not_json = validate(&h, " ", None, None).await;
    assert_eq!(
        not_json.result,
        ValidateStateMachineDefinitionResultCode::Fail
    );
    assert_eq!(
        not_json.diagnostics[0].message,
        "Definition must be a valid JSON object"
    );
    assert_eq!(not_json.diagnostics[0].location, None);

    let activity = r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:work","End":true}}}"#;
    let express =
        h.rt.validate_state_machine_definition(
            &ctx(),
            ValidateStateMachineDefinitionInput {
                definition: activity.into(),
                r#type: Some(StateMachineType::Express),
                severity: None,
                max_results: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        express.result,
        ValidateStateMachineDefinitionResultCode::Fail
    );
    assert_eq!(
        validate(&h, activity, None, None).await.result,
        ValidateStateMachineDefinitionResultCode::Ok
    );
}

#[tokio::test]
async fn validate_filters_by_severity_and_truncates() {
    let h = Harness::new().await;
    // Valid, with a warning: a static value that looks like a path.
    let warned =
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x":"$.value"},"End":true}}}"#;
    let errors_only = validate(&h, warned, None, None).await;
    assert_eq!(
        errors_only.result,
        ValidateStateMachineDefinitionResultCode::Ok
    );
    assert!(errors_only.diagnostics.is_empty());
    let with_warnings = validate(
        &h,
        warned,
        Some(ValidateStateMachineDefinitionSeverity::Warning),
        None,
    )
    .await;
    assert_eq!(
        with_warnings.result,
        ValidateStateMachineDefinitionResultCode::Ok
    );
    assert_eq!(with_warnings.diagnostics.len(), 1);
    assert_eq!(
        with_warnings.diagnostics[0].severity,
        ValidateStateMachineDefinitionSeverity::Warning
    );
    assert_eq!(with_warnings.diagnostics[0].code, "NO_DOLLAR");

    // Two errors (two unreachable states), one shown.
    let two = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true},"C":{"Type":"Pass","End":true}}}"#;
    let all = validate(&h, two, None, None).await;
    assert_eq!(all.diagnostics.len(), 2, "{all:?}");
    let capped = validate(&h, two, None, Some(1)).await;
    assert_eq!(
        capped.result,
        ValidateStateMachineDefinitionResultCode::Fail
    );
    assert_eq!(capped.diagnostics, all.diagnostics[..1]);
    assert_eq!(capped.truncated, Some(true));
}
