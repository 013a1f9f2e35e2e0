//! State machine versions and aliases through the `StepFunctions` trait, on a runtime over a
//! temporary SQLite store: publishing, numbering, routing rules, and AWS's errors.

mod support;

use baton_api::model::*;
use baton_api::{ApiError, StepFunctions};
use support::api::*;
use support::{ctx, Harness, PASS, PASS_2};

// --- versions ---------------------------------------------------------------------------------

#[tokio::test]
async fn create_with_publish_makes_version_1() {
    let h = Harness::new().await;
    let created =
        h.rt.create_state_machine(
            &ctx(),
            CreateStateMachineInput {
                publish: Some(true),
                version_description: Some("first".into()),
                ..create_input("versioned", PASS)
            },
        )
        .await
        .unwrap();
    let v1 = created.state_machine_version_arn.clone().unwrap();
    assert_eq!(v1, format!("{}:1", machine_arn("versioned")));
    let d = describe(&h, &v1).await.unwrap();
    assert_eq!(d.state_machine_arn, v1);
    assert_eq!(d.description.as_deref(), Some("first"));
    assert_eq!(d.definition, PASS);
    assert_eq!(d.revision_id, None);
    // The repeat of the same request is the same machine and version.
    let again =
        h.rt.create_state_machine(
            &ctx(),
            CreateStateMachineInput {
                publish: Some(true),
                version_description: Some("first".into()),
                ..create_input("versioned", PASS)
            },
        )
        .await
        .unwrap();
    assert_eq!(again.state_machine_version_arn, Some(v1));
}

#[tokio::test]
async fn publish_versions_and_list_them_newest_first() {
    let h = Harness::new().await;
    let arn = create(&h, "published", PASS).await.state_machine_arn;
    // The first revision has no id: AWS calls it INITIAL.
    let v1 = publish(&h, &arn, Some("INITIAL")).await.unwrap();
    assert_eq!(v1.state_machine_version_arn, format!("{arn}:1"));
    // Publishing an unchanged revision again is the same version.
    let same = publish(&h, &arn, None).await.unwrap();
    assert_eq!(same, v1);

    let rev2 = update_definition(&h, &arn, PASS_2)
        .await
        .revision_id
        .unwrap();
    let v2 = publish(&h, &arn, Some(&rev2)).await.unwrap();
    assert_eq!(v2.state_machine_version_arn, format!("{arn}:2"));
    assert_eq!(
        describe(&h, &v2.state_machine_version_arn)
            .await
            .unwrap()
            .revision_id,
        Some(rev2.clone())
    );

    let rev3 = update_definition(&h, &arn, PASS).await.revision_id.unwrap();
    assert_error(
        publish(&h, &arn, Some(&rev2)).await,
        "ConflictException",
        Some(&format!(
            "Failed to publish the State Machine version for revision {rev2}. The current State Machine revision is {rev3}."
        )),
    );
    let listed =
        h.rt.list_state_machine_versions(
            &ctx(),
            ListStateMachineVersionsInput {
                state_machine_arn: arn.clone(),
                next_token: None,
                max_results: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed.state_machine_versions[0].state_machine_version_arn,
        v2.state_machine_version_arn
    );
    let rest =
        h.rt.list_state_machine_versions(
            &ctx(),
            ListStateMachineVersionsInput {
                state_machine_arn: arn.clone(),
                next_token: listed.next_token,
                max_results: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.state_machine_versions[0].state_machine_version_arn,
        v1.state_machine_version_arn
    );
    assert_eq!(rest.next_token, None);
}

#[tokio::test]
async fn update_with_publish_returns_the_version() {
    let h = Harness::new().await;
    let arn = create(&h, "rolling", PASS).await.state_machine_arn;
    let out =
        h.rt.update_state_machine(
            &ctx(),
            UpdateStateMachineInput {
                state_machine_arn: arn.clone(),
                definition: Some(PASS_2.into()),
                publish: Some(true),
                version_description: Some("v1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let v1 = out.state_machine_version_arn.unwrap();
    assert_eq!(v1, format!("{arn}:1"));
    let d = describe(&h, &v1).await.unwrap();
    assert_eq!(d.definition, PASS_2);
    assert_eq!(d.description.as_deref(), Some("v1"));
    assert_eq!(d.revision_id, out.revision_id);
}

#[tokio::test]
async fn version_numbers_are_never_reused() {
    let h = Harness::new().await;
    let arn = create(&h, "numbered", PASS).await.state_machine_arn;
    publish(&h, &arn, None).await.unwrap();
    update_definition(&h, &arn, PASS_2).await;
    let v2 = publish(&h, &arn, None)
        .await
        .unwrap()
        .state_machine_version_arn;
    h.rt.delete_state_machine_version(
        &ctx(),
        DeleteStateMachineVersionInput {
            state_machine_version_arn: v2.clone(),
        },
    )
    .await
    .unwrap();
    assert_error(describe(&h, &v2).await, "StateMachineDoesNotExist", None);
    // Deleting it again succeeds.
    h.rt.delete_state_machine_version(
        &ctx(),
        DeleteStateMachineVersionInput {
            state_machine_version_arn: v2,
        },
    )
    .await
    .unwrap();
    update_definition(&h, &arn, PASS).await;
    let v3 = publish(&h, &arn, None).await.unwrap();
    assert_eq!(v3.state_machine_version_arn, format!("{arn}:3"));
}

#[tokio::test]
async fn version_operations_refuse_absent_machines_and_bad_arns() {
    let h = Harness::new().await;
    let absent = machine_arn("absent");
    assert_error(
        publish(&h, &absent, None).await,
        "StateMachineDoesNotExist",
        Some(&format!("State Machine Does Not Exist: '{absent}'")),
    );
    assert_error(
        publish(&h, "invalid_arn", None).await,
        "InvalidArn",
        Some("Invalid Arn: 'Invalid ARN prefix: invalid_arn'"),
    );
    assert_error(
        h.rt.list_state_machine_versions(
            &ctx(),
            ListStateMachineVersionsInput {
                state_machine_arn: absent,
                ..Default::default()
            },
        )
        .await,
        "StateMachineDoesNotExist",
        None,
    );
    let arn = create(&h, "present", PASS).await.state_machine_arn;
    assert_error(
        h.rt.delete_state_machine_version(
            &ctx(),
            DeleteStateMachineVersionInput {
                state_machine_version_arn: arn,
            },
        )
        .await,
        "InvalidArn",
        None,
    );
}

// --- aliases ----------------------------------------------------------------------------------

/// A machine with versions 1 and 2.
async fn two_versions(h: &Harness, name: &str) -> (String, String, String) {
    let arn = create(h, name, PASS).await.state_machine_arn;
    let v1 = publish(h, &arn, None)
        .await
        .unwrap()
        .state_machine_version_arn;
    update_definition(h, &arn, PASS_2).await;
    let v2 = publish(h, &arn, None)
        .await
        .unwrap()
        .state_machine_version_arn;
    (arn, v1, v2)
}

#[tokio::test]
async fn alias_lifecycle() {
    let h = Harness::new().await;
    let (arn, v1, v2) = two_versions(&h, "aliased").await;
    let created = create_alias(&h, "prod", vec![route(&v1, 100)])
        .await
        .unwrap();
    assert_eq!(created.state_machine_alias_arn, format!("{arn}:prod"));
    // Idempotent on the same request, in any route order.
    let again = create_alias(&h, "prod", vec![route(&v1, 100)])
        .await
        .unwrap();
    assert_eq!(again, created);
    assert_error(
        create_alias(&h, "prod", vec![route(&v2, 100)]).await,
        "ConflictException",
        Some("Failed to create alias because an alias with the same name and a different routing configuration already exists."),
    );

    let updated =
        h.rt.update_state_machine_alias(
            &ctx(),
            UpdateStateMachineAliasInput {
                state_machine_alias_arn: created.state_machine_alias_arn.clone(),
                description: Some("canary".into()),
                routing_configuration: Some(vec![route(&v1, 90), route(&v2, 10)]),
            },
        )
        .await
        .unwrap();
    let d =
        h.rt.describe_state_machine_alias(
            &ctx(),
            DescribeStateMachineAliasInput {
                state_machine_alias_arn: created.state_machine_alias_arn.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(d.name.as_deref(), Some("prod"));
    assert_eq!(d.description.as_deref(), Some("canary"));
    assert_eq!(
        d.routing_configuration,
        Some(vec![route(&v1, 90), route(&v2, 10)])
    );
    assert_eq!(d.creation_date, Some(created.creation_date));
    assert_eq!(d.update_date, Some(updated.update_date));

    // Listed for the machine and for each version it routes to.
    let create_second = create_alias(&h, "beta", vec![route(&v2, 100)])
        .await
        .unwrap();
    let list = |target: String| {
        let rt = h.rt.clone();
        async move {
            rt.list_state_machine_aliases(
                &ctx(),
                ListStateMachineAliasesInput {
                    state_machine_arn: target,
                    next_token: None,
                    max_results: None,
                },
            )
            .await
            .unwrap()
            .state_machine_aliases
            .into_iter()
            .map(|a| a.state_machine_alias_arn)
            .collect::<Vec<_>>()
        }
    };
    let mut of_machine = list(arn.clone()).await;
    of_machine.sort();
    assert_eq!(
        of_machine,
        vec![
            create_second.state_machine_alias_arn.clone(),
            created.state_machine_alias_arn.clone()
        ]
    );
    assert_eq!(
        list(v1.clone()).await,
        vec![created.state_machine_alias_arn.clone()]
    );
    assert_eq!(list(v2.clone()).await.len(), 2);

    // A version an alias routes to cannot be deleted.
    assert_error(
        h.rt.delete_state_machine_version(
            &ctx(),
            DeleteStateMachineVersionInput {
                state_machine_version_arn: v1.clone(),
            },
        )
        .await,
        "ConflictException",
        Some("Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [prod]"),
    );
    for alias in [
        &created.state_machine_alias_arn,
        &created.state_machine_alias_arn,
    ] {
        // Deleting twice succeeds: an absent alias is no error.
        h.rt.delete_state_machine_alias(
            &ctx(),
            DeleteStateMachineAliasInput {
                state_machine_alias_arn: alias.clone(),
            },
        )
        .await
        .unwrap();
    }
    h.rt.delete_state_machine_version(
        &ctx(),
        DeleteStateMachineVersionInput {
            state_machine_version_arn: v1,
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn alias_routing_is_checked_as_aws_does() {
    let h = Harness::new().await;
    let (arn, v1, v2) = two_versions(&h, "routed").await;
    let reason = |r: Result<CreateStateMachineAliasOutput, ApiError>| match r {
        Err(ApiError::ValidationException { message, reason }) => (message, reason),
        other => panic!("expected a ValidationException, got {other:?}"),
    };
    let (message, why) = reason(create_alias(&h, "a", vec![route(&v1, 70), route(&v2, 29)]).await);
    assert_eq!(
        message,
        "Sum of routing configuration weights must equal 100. Received: [70, 29]"
    );
    assert_eq!(
        why,
        Some(ValidationExceptionReason::InvalidRoutingConfiguration)
    );
    let (message, _) = reason(create_alias(&h, "a", vec![route(&v1, 50), route(&v1, 50)]).await);
    assert_eq!(
        message,
        format!("Routing configuration must contain distinct state machine version ARNs. Received: [{v1}, {v1}]")
    );
    let (message, _) = reason(create_alias(&h, "a", vec![route(&arn, 100)]).await);
    assert_eq!(
        message,
        format!("Routing configuration must contain state machine version ARNs. Received: [{arn}]")
    );
    let other = two_versions(&h, "elsewhere").await.1;
    let (_, why) = reason(create_alias(&h, "a", vec![route(&v1, 50), route(&other, 50)]).await);
    assert_eq!(
        why,
        Some(ValidationExceptionReason::InvalidRoutingConfiguration)
    );
    assert_error(
        create_alias(&h, "a", vec![route(&v1, 101)]).await,
        "ValidationException",
        Some("1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100"),
    );
    assert_error(
        create_alias(
            &h,
            "a",
            vec![
                route(&v1, 50),
                route(&v2, 25),
                route(&format!("{arn}:3"), 25),
            ],
        )
        .await,
        "ValidationException",
        None,
    );
    let absent = format!("{arn}:9");
    assert_error(
        create_alias(&h, "a", vec![route(&absent, 100)]).await,
        "ResourceNotFound",
        Some(&format!("Resource not found: '{absent}'")),
    );
    for name in ["123", "with space", "bad@"] {
        assert_error(
            create_alias(&h, name, vec![route(&v1, 100)]).await,
            "ValidationException",
            Some(&format!("1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$")),
        );
    }
}

#[tokio::test]
async fn alias_operations_on_absent_aliases() {
    let h = Harness::new().await;
    let (arn, v1, _) = two_versions(&h, "lonely").await;
    let alias = format!("{arn}:missing");
    assert_error(
        h.rt.update_state_machine_alias(
            &ctx(),
            UpdateStateMachineAliasInput {
                state_machine_alias_arn: alias.clone(),
                description: None,
                routing_configuration: Some(vec![route(&v1, 100)]),
            },
        )
        .await,
        "ResourceNotFound",
        Some("Request references a resource that does not exist."),
    );
    assert_error(
        h.rt.describe_state_machine_alias(
            &ctx(),
            DescribeStateMachineAliasInput {
                state_machine_alias_arn: alias.clone(),
            },
        )
        .await,
        "ResourceNotFound",
        None,
    );
    match h
        .rt
        .update_state_machine_alias(
            &ctx(),
            UpdateStateMachineAliasInput {
                state_machine_alias_arn: alias,
                description: None,
                routing_configuration: None,
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
    assert_error(
        h.rt.list_state_machine_aliases(
            &ctx(),
            ListStateMachineAliasesInput {
                state_machine_arn: machine_arn("absent"),
                ..Default::default()
            },
        )
        .await,
        "StateMachineDoesNotExist",
        None,
    );
    assert_error(
        h.rt.list_state_machine_aliases(
            &ctx(),
            ListStateMachineAliasesInput {
                state_machine_arn: arn,
                next_token: Some("not a token".into()),
                max_results: None,
            },
        )
        .await,
        "InvalidToken",
        Some("Invalid Token: 'Invalid token'"),
    );
}
