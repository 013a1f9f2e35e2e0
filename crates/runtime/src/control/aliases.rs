//! State machine aliases: a name that routes executions to one or two versions of one machine
//! by weight.

use std::collections::BTreeSet;

use baton_api::arn::{ArnError, Qualifier, StateMachineArn};
use baton_api::model::*;
use baton_api::names::{is_valid_alias_name, NAME_MAX_CHARS};
use baton_api::{ApiError, RequestContext, ViolationValue};
use baton_store::{AliasesOf, Op, Route, StateMachineAlias, WriteBatch};

use super::machines::existing;
use super::{
    constraint, labelled_arn, page_request, read_error, resource_not_found, timestamp, validation,
};
use crate::{internal, Runtime, StoreError};

/// The model's pattern for alias names, as the request validator quotes it.
const ALIAS_NAME_PATTERN: &str = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$";

/// The alias an alias ARN names; any other ARN is `InvalidArn`.
fn alias_arn(arn: &str) -> Result<StateMachineArn, ApiError> {
    let parsed = StateMachineArn::parse(arn)?;
    if parsed.map_label.is_some() {
        return Err(labelled_arn(arn));
    }
    match parsed.qualifier {
        Some(Qualifier::Alias(_)) => Ok(parsed),
        _ => Err(ArnError::Malformed(arn.to_string()).into()),
    }
}

/// AWS's answer for an alias that does not exist.
fn no_such_alias() -> ApiError {
    ApiError::ResourceNotFound {
        message: "Request references a resource that does not exist.".into(),
        resource_name: None,
    }
}

fn check_alias_name(name: &str) -> Result<(), ApiError> {
    let shown = || ViolationValue::Shown(name.to_string());
    let len = name.chars().count();
    if len == 0 {
        return Err(constraint(
            "name",
            shown(),
            "Member must have length greater than or equal to 1",
        ));
    }
    if len > NAME_MAX_CHARS {
        return Err(constraint(
            "name",
            shown(),
            format!("Member must have length less than or equal to {NAME_MAX_CHARS}"),
        ));
    }
    if !is_valid_alias_name(name) {
        return Err(constraint(
            "name",
            shown(),
            format!("Member must satisfy regular expression pattern: {ALIAS_NAME_PATTERN}"),
        ));
    }
    Ok(())
}

fn invalid_routing(message: String) -> ApiError {
    validation(
        message,
        ValidationExceptionReason::InvalidRoutingConfiguration,
    )
}

/// Checks a routing configuration as AWS does: one or two entries, weights from 0 to 100 that
/// add up to 100, distinct existing versions of one state machine (`machine`, when the alias
/// exists already). Returns the machine's ARN and the routes.
async fn routes(
    rt: &Runtime,
    config: &[RoutingConfigurationListItem],
    machine: Option<&str>,
) -> Result<(String, Vec<Route>), ApiError> {
    let listed = || {
        format!(
            "[{}]",
            config
                .iter()
                .map(|r| r.state_machine_version_arn.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if config.is_empty() {
        return Err(constraint(
            "routingConfiguration",
            ViolationValue::Shown("[]".into()),
            "Member must have length greater than or equal to 1",
        ));
    }
    if config.len() > 2 {
        let items: Vec<String> = config
            .iter()
            .map(|r| {
                format!(
                    "RoutingConfigurationListItem(stateMachineVersionArn={}, weight={})",
                    r.state_machine_version_arn, r.weight
                )
            })
            .collect();
        return Err(constraint(
            "routingConfiguration",
            ViolationValue::Shown(format!("[{}]", items.join(", "))),
            "Member must have length less than or equal to 2",
        ));
    }
    for (i, r) in config.iter().enumerate() {
        let path = format!("routingConfiguration.{}.member.weight", i + 1);
        if r.weight < 0 {
            return Err(constraint(
                path,
                ViolationValue::Shown(r.weight.to_string()),
                "Member must have value greater than or equal to 0",
            ));
        }
        if r.weight > 100 {
            return Err(constraint(
                path,
                ViolationValue::Shown(r.weight.to_string()),
                "Member must have value less than or equal to 100",
            ));
        }
    }
    let distinct: BTreeSet<&str> = config
        .iter()
        .map(|r| r.state_machine_version_arn.as_str())
        .collect();
    if distinct.len() < config.len() {
        return Err(invalid_routing(format!(
            "Routing configuration must contain distinct state machine version ARNs. Received: {}",
            listed()
        )));
    }
    let mut versions = Vec::new();
    for r in config {
        match StateMachineArn::parse(&r.state_machine_version_arn) {
            Ok(a)
                if a.map_label.is_none() && matches!(a.qualifier, Some(Qualifier::Version(_))) =>
            {
                versions.push(a)
            }
            _ => {
                return Err(invalid_routing(format!(
                    "Routing configuration must contain state machine version ARNs. Received: {}",
                    listed()
                )))
            }
        }
    }
    let machine_arn = machine
        .map(str::to_string)
        .unwrap_or_else(|| versions[0].unqualified().to_string());
    if versions
        .iter()
        .any(|v| v.unqualified().to_string() != machine_arn)
    {
        return Err(invalid_routing(format!(
            "Routing configuration must contain versions of the same state machine. Received: {}",
            listed()
        )));
    }
    let weights: Vec<String> = config.iter().map(|r| r.weight.to_string()).collect();
    if config.iter().map(|r| i64::from(r.weight)).sum::<i64>() != 100 {
        return Err(invalid_routing(format!(
            "Sum of routing configuration weights must equal 100. Received: [{}]",
            weights.join(", ")
        )));
    }
    let mut out = Vec::new();
    for (v, r) in versions.iter().zip(config) {
        let arn = v.to_string();
        if rt.store.version(&arn).await.map_err(internal)?.is_none() {
            return Err(resource_not_found(&r.state_machine_version_arn));
        }
        out.push(Route {
            version_arn: arn,
            // Checked to be within 0..=100 above.
            weight: r.weight as u32,
        });
    }
    Ok((machine_arn, out))
}

/// Whether two routing configurations send the same share to the same versions.
fn same_routes(a: &[Route], b: &[Route]) -> bool {
    let key = |routes: &[Route]| {
        routes
            .iter()
            .map(|r| (r.version_arn.clone(), r.weight))
            .collect::<BTreeSet<_>>()
    };
    key(a) == key(b)
}

fn api_routes(routes: &[Route]) -> Vec<RoutingConfigurationListItem> {
    routes
        .iter()
        .map(|r| RoutingConfigurationListItem {
            state_machine_version_arn: r.version_arn.clone(),
            weight: r.weight as i32,
        })
        .collect()
}

/// An alias that exists already: the same one when the request repeats it (CreateStateMachineAlias
/// is idempotent), else `ConflictException`.
fn repeat(
    current: &StateMachineAlias,
    wanted: &StateMachineAlias,
) -> Result<CreateStateMachineAliasOutput, ApiError> {
    if current.description == wanted.description && same_routes(&current.routing, &wanted.routing) {
        Ok(CreateStateMachineAliasOutput {
            state_machine_alias_arn: current.arn.clone(),
            creation_date: timestamp(current.creation_date),
        })
    } else {
        Err(ApiError::ConflictException {
            message: "Failed to create alias because an alias with the same name and a different routing configuration already exists.".into(),
        })
    }
}

pub(crate) async fn create_state_machine_alias(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: CreateStateMachineAliasInput,
) -> Result<CreateStateMachineAliasOutput, ApiError> {
    check_alias_name(&input.name)?;
    let (machine_arn, routing) = routes(rt, &input.routing_configuration, None).await?;
    let now = crate::now();
    let alias = StateMachineAlias {
        arn: format!("{machine_arn}:{}", input.name),
        state_machine_arn: machine_arn,
        name: input.name,
        description: input.description,
        routing,
        creation_date: now,
        update_date: now,
    };
    if let Some(current) = rt.store.alias(&alias.arn).await.map_err(internal)? {
        return repeat(&current, &alias);
    }
    match rt
        .store
        .commit(WriteBatch::new().with(Op::CreateAlias(alias.clone())))
        .await
    {
        Ok(()) => Ok(CreateStateMachineAliasOutput {
            state_machine_alias_arn: alias.arn,
            creation_date: timestamp(now),
        }),
        Err(StoreError::AlreadyExists { .. }) => {
            match rt.store.alias(&alias.arn).await.map_err(internal)? {
                Some(current) => repeat(&current, &alias),
                None => Err(ApiError::ConflictException {
                    message: format!("Failed to create alias '{}'; retry the request.", alias.arn),
                }),
            }
        }
        // A version was deleted meanwhile.
        Err(StoreError::NotFound { key, .. }) => Err(resource_not_found(&key)),
        Err(e) => Err(internal(e)),
    }
}

pub(crate) async fn describe_state_machine_alias(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DescribeStateMachineAliasInput,
) -> Result<DescribeStateMachineAliasOutput, ApiError> {
    let arn = alias_arn(&input.state_machine_alias_arn)?.to_string();
    let alias = rt
        .store
        .alias(&arn)
        .await
        .map_err(internal)?
        .ok_or_else(no_such_alias)?;
    Ok(DescribeStateMachineAliasOutput {
        state_machine_alias_arn: Some(alias.arn.clone()),
        name: Some(alias.name.clone()),
        description: alias.description.clone(),
        routing_configuration: Some(api_routes(&alias.routing)),
        creation_date: Some(timestamp(alias.creation_date)),
        update_date: Some(timestamp(alias.update_date)),
    })
}

pub(crate) async fn update_state_machine_alias(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: UpdateStateMachineAliasInput,
) -> Result<UpdateStateMachineAliasOutput, ApiError> {
    let arn = alias_arn(&input.state_machine_alias_arn)?.to_string();
    if input.description.is_none() && input.routing_configuration.is_none() {
        return Err(validation(
            "Either the description or the RoutingConfiguration must be specified",
            ValidationExceptionReason::MissingRequiredParameter,
        ));
    }
    let mut alias = rt
        .store
        .alias(&arn)
        .await
        .map_err(internal)?
        .ok_or_else(no_such_alias)?;
    let before = alias.clone();
    if let Some(config) = &input.routing_configuration {
        let (_, routing) = routes(rt, config, Some(&alias.state_machine_arn)).await?;
        alias.routing = routing;
    }
    if let Some(description) = input.description {
        alias.description = Some(description);
    }
    // Repeating the alias's configuration changes nothing, as on AWS.
    if alias.description == before.description && same_routes(&alias.routing, &before.routing) {
        return Ok(UpdateStateMachineAliasOutput {
            update_date: timestamp(before.update_date),
        });
    }
    alias.update_date = crate::now();
    match rt
        .store
        .commit(WriteBatch::new().with(Op::UpdateAlias(alias.clone())))
        .await
    {
        Ok(()) => Ok(UpdateStateMachineAliasOutput {
            update_date: timestamp(alias.update_date),
        }),
        Err(StoreError::NotFound { .. }) => Err(no_such_alias()),
        Err(e) => Err(internal(e)),
    }
}

pub(crate) async fn delete_state_machine_alias(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DeleteStateMachineAliasInput,
) -> Result<DeleteStateMachineAliasOutput, ApiError> {
    // Deleting an alias that does not exist succeeds, as on AWS.
    let arn = alias_arn(&input.state_machine_alias_arn)?.to_string();
    rt.store
        .commit(WriteBatch::new().with(Op::DeleteAlias { arn }))
        .await
        .map_err(internal)?;
    Ok(DeleteStateMachineAliasOutput {})
}

pub(crate) async fn list_state_machine_aliases(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: ListStateMachineAliasesInput,
) -> Result<ListStateMachineAliasesOutput, ApiError> {
    let arn = &input.state_machine_arn;
    let parsed = StateMachineArn::parse(arn)?;
    if parsed.map_label.is_some() {
        return Err(labelled_arn(arn));
    }
    let canonical = parsed.to_string();
    let of = match &parsed.qualifier {
        None => {
            existing(rt, &canonical, arn).await?;
            AliasesOf::Machine(&canonical)
        }
        Some(Qualifier::Version(_)) => {
            if rt
                .store
                .version(&canonical)
                .await
                .map_err(internal)?
                .is_none()
            {
                return Err(resource_not_found(arn));
            }
            AliasesOf::Version(&canonical)
        }
        Some(Qualifier::Alias(_)) => return Err(ArnError::Malformed(arn.clone()).into()),
    };
    let page = rt
        .store
        .aliases(of, &page_request(input.max_results, input.next_token))
        .await
        .map_err(read_error)?;
    Ok(ListStateMachineAliasesOutput {
        state_machine_aliases: page
            .items
            .into_iter()
            .map(|a| StateMachineAliasListItem {
                state_machine_alias_arn: a.arn,
                creation_date: timestamp(a.creation_date),
            })
            .collect(),
        next_token: page.next.map(|t| t.into_string()),
    })
}
