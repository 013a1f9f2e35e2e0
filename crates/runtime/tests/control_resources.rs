//! Activities, tags, map runs and TestState through the `StepFunctions` trait, on a runtime
//! over a temporary SQLite store, with AWS's error codes and messages.

mod support;

use baton_api::model::*;
use baton_api::{ApiError, StepFunctions};
use baton_store::{MapRun, MapRunCounts, MapRunStatus, Op, WriteBatch};
use support::api::*;
use support::{ctx, other_account, Harness, PASS, ROLE};

// --- activities -------------------------------------------------------------------------------

async fn create_activity(h: &Harness, name: &str) -> Result<CreateActivityOutput, ApiError> {
    h.rt.create_activity(
        &ctx(),
        CreateActivityInput {
            name: name.into(),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn activity_lifecycle() {
    let h = Harness::new().await;
    let created = create_activity(&h, "approve").await.unwrap();
    assert_eq!(created.activity_arn, format!("{ACTIVITIES}approve"));
    // Idempotent by name.
    assert_eq!(create_activity(&h, "approve").await.unwrap(), created);
    let d =
        h.rt.describe_activity(
            &ctx(),
            DescribeActivityInput {
                activity_arn: created.activity_arn.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(d.name, "approve");
    assert_eq!(d.creation_date, created.creation_date);
    assert_eq!(
        d.encryption_configuration.map(|e| e.r#type),
        Some(EncryptionType::AwsOwnedKey)
    );
    for _ in 0..2 {
        h.rt.delete_activity(
            &ctx(),
            DeleteActivityInput {
                activity_arn: created.activity_arn.clone(),
            },
        )
        .await
        .unwrap();
    }
    assert_error(
        h.rt.describe_activity(
            &ctx(),
            DescribeActivityInput {
                activity_arn: created.activity_arn.clone(),
            },
        )
        .await,
        "ActivityDoesNotExist",
        Some(&format!(
            "Activity Does Not Exist: '{}'",
            created.activity_arn
        )),
    );
    assert_error(
        h.rt.describe_activity(
            &ctx(),
            DescribeActivityInput {
                activity_arn: "no_an_activity_arn".into(),
            },
        )
        .await,
        "InvalidArn",
        Some("Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"),
    );
    assert_error(
        create_activity(&h, "activity name").await,
        "InvalidName",
        Some("Invalid Name: 'activity name'"),
    );
}

#[tokio::test]
async fn activities_list_by_name_in_pages() {
    let h = Harness::new().await;
    for i in (0..5).rev() {
        create_activity(&h, &format!("act-{i}")).await.unwrap();
    }
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page =
            h.rt.list_activities(
                &ctx(),
                ListActivitiesInput {
                    max_results: Some(2),
                    next_token: token,
                },
            )
            .await
            .unwrap();
        names.extend(page.activities.into_iter().map(|a| a.name));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["act-0", "act-1", "act-2", "act-3", "act-4"]);
    let other =
        h.rt.list_activities(&other_account(), ListActivitiesInput::default())
            .await
            .unwrap();
    assert!(other.activities.is_empty());
}

// --- tags -------------------------------------------------------------------------------------

async fn tags_of(h: &Harness, arn: &str) -> Result<Vec<Tag>, ApiError> {
    h.rt.list_tags_for_resource(
        &ctx(),
        ListTagsForResourceInput {
            resource_arn: arn.into(),
        },
    )
    .await
    .map(|o| o.tags.unwrap_or_default())
}

async fn tag_resource(
    h: &Harness,
    arn: &str,
    tags: Vec<Tag>,
) -> Result<TagResourceOutput, ApiError> {
    h.rt.tag_resource(
        &ctx(),
        TagResourceInput {
            resource_arn: arn.into(),
            tags,
        },
    )
    .await
}

#[tokio::test]
async fn tags_on_machines_and_activities() {
    let h = Harness::new().await;
    let machine =
        h.rt.create_state_machine(
            &ctx(),
            CreateStateMachineInput {
                tags: Some(vec![tag("a", "1")]),
                ..create_input("tagged", PASS)
            },
        )
        .await
        .unwrap()
        .state_machine_arn;
    let activity =
        h.rt.create_activity(
            &ctx(),
            CreateActivityInput {
                name: "tagged".into(),
                tags: Some(vec![tag("x", "y")]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .activity_arn;
    assert_eq!(tags_of(&h, &machine).await.unwrap(), vec![tag("a", "1")]);
    assert_eq!(tags_of(&h, &activity).await.unwrap(), vec![tag("x", "y")]);
    tag_resource(&h, &machine, vec![tag("b", "2"), tag("a", "one")])
        .await
        .unwrap();
    assert_eq!(
        tags_of(&h, &machine).await.unwrap(),
        vec![tag("a", "one"), tag("b", "2")]
    );
    h.rt.untag_resource(
        &ctx(),
        UntagResourceInput {
            resource_arn: machine.clone(),
            tag_keys: vec!["a".into(), "absent".into()],
        },
    )
    .await
    .unwrap();
    assert_eq!(tags_of(&h, &machine).await.unwrap(), vec![tag("b", "2")]);
    h.rt.untag_resource(
        &ctx(),
        UntagResourceInput {
            resource_arn: activity.clone(),
            tag_keys: vec!["x".into()],
        },
    )
    .await
    .unwrap();
    // An empty list, not an absent one.
    let empty =
        h.rt.list_tags_for_resource(
            &ctx(),
            ListTagsForResourceInput {
                resource_arn: activity,
            },
        )
        .await
        .unwrap();
    assert_eq!(empty.tags, Some(vec![]));
}

#[tokio::test]
async fn tags_refuse_absent_resources_versions_and_too_many_tags() {
    let h = Harness::new().await;
    let created =
        h.rt.create_state_machine(
            &ctx(),
            CreateStateMachineInput {
                publish: Some(true),
                ..create_input("limited", PASS)
            },
        )
        .await
        .unwrap();
    let version = created.state_machine_version_arn.unwrap();
    assert_error(
        tag_resource(&h, &version, vec![tag("k", "v")]).await,
        "ResourceNotFound",
        Some(&format!("Resource not found: '{version}'")),
    );
    let absent = machine_arn("absent");
    assert_error(tags_of(&h, &absent).await, "ResourceNotFound", None);
    assert_error(
        h.rt.untag_resource(
            &ctx(),
            UntagResourceInput {
                resource_arn: format!("{ACTIVITIES}absent"),
                tag_keys: vec!["k".into()],
            },
        )
        .await,
        "ResourceNotFound",
        None,
    );
    assert_error(tags_of(&h, "nonsense").await, "InvalidArn", None);

    let arn = created.state_machine_arn;
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    tag_resource(&h, &arn, fifty).await.unwrap();
    // Replacing a value is no new tag; a 51st key is too many.
    tag_resource(&h, &arn, vec![tag("k0", "w")]).await.unwrap();
    assert_error(
        tag_resource(&h, &arn, vec![tag("k50", "v")]).await,
        "TooManyTags",
        None,
    );
    assert_eq!(tags_of(&h, &arn).await.unwrap().len(), 50);
    let too_many = CreateStateMachineInput {
        tags: Some((0..51).map(|i| tag(&format!("k{i}"), "v")).collect()),
        ..create_input("crowded", PASS)
    };
    assert_error(
        h.rt.create_state_machine(&ctx(), too_many).await,
        "TooManyTags",
        None,
    );
    assert_error(
        describe(&h, &machine_arn("crowded")).await,
        "StateMachineDoesNotExist",
        None,
    );
}

// --- map runs ---------------------------------------------------------------------------------

async fn list_map_runs(h: &Harness, execution_arn: &str) -> Result<ListMapRunsOutput, ApiError> {
    h.rt.list_map_runs(
        &ctx(),
        ListMapRunsInput {
            execution_arn: execution_arn.into(),
            ..Default::default()
        },
    )
    .await
}

async fn describe_map_run(h: &Harness, arn: &str) -> Result<DescribeMapRunOutput, ApiError> {
    h.rt.describe_map_run(
        &ctx(),
        DescribeMapRunInput {
            map_run_arn: arn.into(),
        },
    )
    .await
}

#[tokio::test]
async fn map_runs_describe_list_and_update() {
    let h = Harness::new().await;
    let machine = create(&h, "mapper", PASS).await.state_machine_arn;
    let execution =
        h.rt.start_execution(
            &ctx(),
            StartExecutionInput {
                state_machine_arn: machine,
                name: Some("run-1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .execution_arn;
    assert!(list_map_runs(&h, &execution)
        .await
        .unwrap()
        .map_runs
        .is_empty());
    let absent_execution = "arn:aws:states:us-east-1:111111111111:execution:mapper:absent";
    assert_error(
        list_map_runs(&h, absent_execution).await,
        "ExecutionDoesNotExist",
        Some(&format!("Execution Does Not Exist: '{absent_execution}'")),
    );

    let run_arn = "arn:aws:states:us-east-1:111111111111:mapRun:mapper/Items:3e5e9b38-9dbd-4b3a-9e1f-4ce7d0e4b1a1";
    assert_error(
        describe_map_run(&h, run_arn).await,
        "ResourceNotFound",
        Some(&format!("Resource not found: '{run_arn}'")),
    );
    assert_error(
        describe_map_run(&h, "not-a-map-run").await,
        "InvalidArn",
        None,
    );

    // A record written as the engine writes one, for an execution that has no such map run.
    let record = MapRun {
        arn: run_arn.into(),
        execution_arn: execution.clone(),
        state_machine_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:mapper/Items".into(),
        status: MapRunStatus::Running,
        max_concurrency: 10,
        tolerated_failure_percentage: 0.0,
        tolerated_failure_count: 0,
        item_counts: MapRunCounts {
            total: 3,
            running: 3,
            ..Default::default()
        },
        execution_counts: MapRunCounts::default(),
        start_date: 1_700_000_000_000,
        stop_date: None,
        redrive_count: 0,
        redrive_date: None,
    };
    h.rt.store()
        .commit(WriteBatch::new().with(Op::CreateMapRun(record.clone())))
        .await
        .unwrap();
    let d = describe_map_run(&h, run_arn).await.unwrap();
    assert_eq!(d.execution_arn, execution);
    assert_eq!(d.status, baton_api::model::MapRunStatus::Running);
    assert_eq!(d.max_concurrency, 10);
    assert_eq!(d.item_counts.total, 3);
    let listed = list_map_runs(&h, &execution).await.unwrap().map_runs;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].map_run_arn, run_arn);
    assert_eq!(listed[0].state_machine_arn, record.state_machine_arn);

    // A successful update reaches the running execution's engine: see
    // `update_map_run_raises_a_running_distributed_maps_concurrency` in executions.rs.
    match h
        .rt
        .update_map_run(
            &ctx(),
            UpdateMapRunInput {
                map_run_arn: run_arn.into(),
                ..Default::default()
            },
        )
        .await
    {
        Err(ApiError::ValidationException { reason, .. }) => {
            assert_eq!(
                reason,
                Some(ValidationExceptionReason::MissingRequiredParameter)
            )
        }
        other => panic!("expected a ValidationException, got {other:?}"),
    }

    // A finished map run cannot be updated.
    let finished = MapRun {
        status: MapRunStatus::Succeeded,
        stop_date: Some(1_700_000_001_000),
        ..record
    };
    h.rt.store()
        .commit(WriteBatch::new().with(Op::UpdateMapRun(finished)))
        .await
        .unwrap();
    match h
        .rt
        .update_map_run(
            &ctx(),
            UpdateMapRunInput {
                map_run_arn: run_arn.into(),
                max_concurrency: Some(1),
                ..Default::default()
            },
        )
        .await
    {
        Err(ApiError::ValidationException { reason, .. }) => {
            assert_eq!(
                reason,
                Some(ValidationExceptionReason::CannotUpdateCompletedMapRun)
            )
        }
        other => panic!("expected a ValidationException, got {other:?}"),
    }
}

// --- TestState --------------------------------------------------------------------------------

async fn test_state(h: &Harness, input: TestStateInput) -> Result<TestStateOutput, ApiError> {
    h.rt.test_state(&ctx(), input).await
}

#[tokio::test]
async fn test_state_runs_one_state() {
    let h = Harness::new().await;
    let out = test_state(
        &h,
        TestStateInput {
            definition: r#"{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"Next":"Done"}"#.into(),
            input: Some(r#"{"n":21}"#.into()),
            inspection_level: Some(InspectionLevel::Debug),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, Some(TestExecutionStatus::Succeeded));
    assert_eq!(out.output.as_deref(), Some(r#"{"doubled":42}"#));
    assert_eq!(out.next_state.as_deref(), Some("Done"));
    let data = out.inspection_data.expect("DEBUG shows the data flow");
    assert_eq!(data.input.as_deref(), Some(r#"{"n":21}"#));
    assert_eq!(data.after_parameters.as_deref(), Some(r#"{"doubled":42}"#));

    // A state of a whole machine, by name; a mocked Task error caught by a Catch.
    let machine = r#"{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Recover"}],"End":true},"Recover":{"Type":"Pass","End":true}}}"#;
    let caught = test_state(
        &h,
        TestStateInput {
            definition: machine.into(),
            state_name: Some("Call".into()),
            mock: Some(MockInput {
                result: None,
                error_output: Some(MockErrorOutput {
                    error: Some("Boom".into()),
                    cause: Some("it broke".into()),
                }),
                field_validation_mode: None,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(caught.status, Some(TestExecutionStatus::CaughtError));
    assert_eq!(caught.next_state.as_deref(), Some("Recover"));
    assert_eq!(caught.error.as_deref(), Some("Boom"));
}

#[tokio::test]
async fn test_state_refuses_as_aws_does() {
    let h = Harness::new().await;
    assert_error(
        test_state(
            &h,
            TestStateInput {
                definition: r#"{"Type":"Pass","Next":"X","End":true}"#.into(),
                ..Default::default()
            },
        )
        .await,
        "InvalidDefinition",
        None,
    );
    let task = r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}"#;
    assert_error(
        test_state(
            &h,
            TestStateInput {
                definition: task.into(),
                ..Default::default()
            },
        )
        .await,
        "ValidationException",
        Some("RoleArn must be specified when testing a Task state"),
    );
    assert_error(
        test_state(
            &h,
            TestStateInput {
                definition: r#"{"Type":"Pass","End":true}"#.into(),
                input: Some("{not json".into()),
                ..Default::default()
            },
        )
        .await,
        "InvalidExecutionInput",
        None,
    );
}

#[tokio::test]
async fn test_state_runs_an_unmocked_task_through_the_integrations() {
    let h = Harness::new().await;
    // No integration is configured: the call fails as an execution's would.
    let out = test_state(
        &h,
        TestStateInput {
            definition: r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}"#.into(),
            role_arn: Some(ROLE.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.status, Some(TestExecutionStatus::Failed));
    assert_eq!(out.error.as_deref(), Some("States.Runtime"));
}
