//! What a `stateMachineArn` given to StartExecution names: the machine's latest revision, a
//! version, or an alias (which picks one of its versions by weight).

use baton_api::arn::{Qualifier, StateMachineArn};
use baton_api::ApiError;
use std::sync::Arc;

use baton_store::{MachineType, StateMachine, StateMachineVersion};

use crate::{internal, Runtime};

/// The definition an execution will run, and where it came from.
pub(crate) struct Target {
    pub machine: Arc<StateMachine>,
    /// The version that runs, when started through a version or an alias.
    pub version: Option<StateMachineVersion>,
    pub alias_arn: Option<String>,
}

impl Target {
    pub fn machine_type(&self) -> MachineType {
        self.machine.machine_type
    }
    pub fn version_arn(&self) -> Option<&str> {
        self.version.as_ref().map(|v| v.arn.as_str())
    }
    pub fn revision_id(&self) -> &str {
        self.version
            .as_ref()
            .map_or(&self.machine.revision_id, |v| &v.revision_id)
    }
    /// The `loggingConfiguration` text of what runs (the version's, else the machine's).
    pub fn logging(&self) -> Option<&str> {
        self.version
            .as_ref()
            .map_or(self.machine.logging_configuration.as_deref(), |v| {
                v.logging_configuration.as_deref()
            })
    }
    /// The `tracingConfiguration` text of what runs.
    pub fn tracing(&self) -> Option<&str> {
        self.version
            .as_ref()
            .map_or(self.machine.tracing_configuration.as_deref(), |v| {
                v.tracing_configuration.as_deref()
            })
    }
    pub fn definition(&self) -> &str {
        self.version
            .as_ref()
            .map_or(&self.machine.definition, |v| &v.definition)
    }
    pub fn role_arn(&self) -> &str {
        self.version
            .as_ref()
            .map_or(&self.machine.role_arn, |v| &v.role_arn)
    }
}

pub(crate) async fn target(rt: &Runtime, arn: &str) -> Result<Target, ApiError> {
    let parsed = StateMachineArn::parse(arn)?;
    if parsed.map_label.is_some() {
        return Err(ApiError::invalid_arn(arn));
    }
    let machine_arn = parsed.unqualified().to_string();
    let missing = || ApiError::state_machine_does_not_exist(arn);
    let machine = rt
        .machine(&machine_arn)
        .await
        .map_err(internal)?
        .ok_or_else(missing)?;
    let version_arn = match &parsed.qualifier {
        None => {
            return Ok(Target {
                machine,
                version: None,
                alias_arn: None,
            })
        }
        Some(Qualifier::Version(_)) => arn.to_string(),
        Some(Qualifier::Alias(_)) => {
            let alias = rt
                .store
                .alias(arn)
                .await
                .map_err(internal)?
                .ok_or_else(|| ApiError::ResourceNotFound {
                    message: format!("Resource not found: '{arn}'"),
                    resource_name: Some(arn.to_string()),
                })?;
            pick(&alias.routing, rand_percent())
                .ok_or_else(|| ApiError::internal("alias has no routes"))?
        }
    };
    let version = rt
        .store
        .version(&version_arn)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("Resource not found: '{version_arn}'"),
            resource_name: Some(version_arn.clone()),
        })?;
    let alias_arn = matches!(parsed.qualifier, Some(Qualifier::Alias(_))).then(|| arn.to_string());
    Ok(Target {
        machine,
        version: Some(version),
        alias_arn,
    })
}

/// The version a draw in `0..100` routes to.
fn pick(routes: &[baton_store::Route], draw: u32) -> Option<String> {
    let mut acc = 0;
    for r in routes {
        acc += r.weight;
        if draw < acc {
            return Some(r.version_arn.clone());
        }
    }
    routes.last().map(|r| r.version_arn.clone())
}

fn rand_percent() -> u32 {
    (uuid::Uuid::new_v4().as_u128() % 100) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_store::Route;

    #[test]
    fn draws_follow_the_weights() {
        let routes = vec![
            Route {
                version_arn: "v1".into(),
                weight: 30,
            },
            Route {
                version_arn: "v2".into(),
                weight: 70,
            },
        ];
        assert_eq!(pick(&routes, 0).as_deref(), Some("v1"));
        assert_eq!(pick(&routes, 29).as_deref(), Some("v1"));
        assert_eq!(pick(&routes, 30).as_deref(), Some("v2"));
        assert_eq!(pick(&routes, 99).as_deref(), Some("v2"));
        assert_eq!(pick(&[], 5), None);
    }
}
