//! Activities: create (idempotent by name), describe, delete, list. Workers poll them with
//! `GetActivityTask` (the `tasks` module).

use baton_api::arn::{ActivityArn, Scope};
use baton_api::model::*;
use baton_api::{ApiError, RequestContext};
use baton_store::{self as store, Op, WriteBatch};

use super::machines::{check_resource_name, encryption_of, encryption_text};
use super::tags::{check_tags, too_many_tags, MAX_TAGS};
use super::{page_request, read_error, timestamp};
use crate::{internal, Runtime, StoreError};

/// What `DescribeActivity` shows for an activity created without an encryption configuration.
fn default_encryption() -> EncryptionConfiguration {
    EncryptionConfiguration {
        kms_key_id: None,
        kms_data_key_reuse_period_seconds: None,
        r#type: EncryptionType::AwsOwnedKey,
    }
}

fn created(activity: &store::Activity) -> CreateActivityOutput {
    CreateActivityOutput {
        activity_arn: activity.arn.clone(),
        creation_date: timestamp(activity.creation_date),
    }
}

pub(crate) async fn create_activity(
    rt: &Runtime,
    ctx: &RequestContext,
    input: CreateActivityInput,
) -> Result<CreateActivityOutput, ApiError> {
    check_resource_name(&input.name)?;
    let tags = check_tags(input.tags.as_deref().unwrap_or_default(), "tags")?;
    let arn = ActivityArn::new(Scope::new(&ctx.region, &ctx.account_id), &input.name).to_string();
    // Idempotent by name: the existing activity, whatever the tags and encryption asked for now.
    if let Some(existing) = rt.store.activity(&arn).await.map_err(internal)? {
        return Ok(created(&existing));
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags(&arn));
    }
    let encryption = encryption_text(input.encryption_configuration.as_ref())?;
    let activity = store::Activity {
        arn: arn.clone(),
        name: input.name,
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        encryption_configuration: encryption,
        creation_date: crate::now(),
    };
    let mut batch = WriteBatch::new().with(Op::CreateActivity(activity.clone()));
    if !tags.is_empty() {
        batch.push(Op::TagResource {
            arn: arn.clone(),
            tags,
        });
    }
    match rt.store.commit(batch).await {
        Ok(()) => Ok(created(&activity)),
        Err(StoreError::AlreadyExists { .. }) => {
            match rt.store.activity(&arn).await.map_err(internal)? {
                Some(existing) => Ok(created(&existing)),
                None => Err(ApiError::ActivityAlreadyExists {
                    message: format!("Activity Already Exists: '{arn}'"),
                }),
            }
        }
        Err(e) => Err(internal(e)),
    }
}

pub(crate) async fn describe_activity(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DescribeActivityInput,
) -> Result<DescribeActivityOutput, ApiError> {
    let arn = ActivityArn::parse(&input.activity_arn)?.to_string();
    let activity = rt
        .store
        .activity(&arn)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::activity_does_not_exist(&input.activity_arn))?;
    Ok(DescribeActivityOutput {
        activity_arn: activity.arn,
        name: activity.name,
        creation_date: timestamp(activity.creation_date),
        encryption_configuration: Some(
            encryption_of(activity.encryption_configuration.as_deref())
                .unwrap_or_else(default_encryption),
        ),
    })
}

pub(crate) async fn delete_activity(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DeleteActivityInput,
) -> Result<DeleteActivityOutput, ApiError> {
    // Deleting an activity that does not exist succeeds, as on AWS.
    let arn = ActivityArn::parse(&input.activity_arn)?.to_string();
    rt.store
        .commit(WriteBatch::new().with(Op::DeleteActivity { arn }))
        .await
        .map_err(internal)?;
    Ok(DeleteActivityOutput {})
}

pub(crate) async fn list_activities(
    rt: &Runtime,
    ctx: &RequestContext,
    input: ListActivitiesInput,
) -> Result<ListActivitiesOutput, ApiError> {
    let scope = store::Scope::new(&ctx.account_id, &ctx.region);
    let page = rt
        .store
        .activities(&scope, &page_request(input.max_results, input.next_token))
        .await
        .map_err(read_error)?;
    Ok(ListActivitiesOutput {
        activities: page
            .items
            .into_iter()
            .map(|a| ActivityListItem {
                activity_arn: a.arn,
                name: a.name,
                creation_date: timestamp(a.creation_date),
            })
            .collect(),
        next_token: page.next.map(|t| t.into_string()),
    })
}
