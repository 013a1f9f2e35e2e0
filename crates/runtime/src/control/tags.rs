//! Tags of state machines and activities: TagResource, UntagResource, ListTagsForResource.
//! Versions, aliases, executions and map runs carry no tags (`ResourceNotFound`, as on AWS).

use std::collections::BTreeMap;

use baton_api::arn::StatesArn;
use baton_api::model::*;
use baton_api::{ApiError, RequestContext, ViolationValue};
use baton_store::{self as store, Op, WriteBatch};

use super::{constraint, resource_not_found};
use crate::{internal, Runtime, StoreError};

/// The most tags a resource can have.
pub(crate) const MAX_TAGS: usize = 50;

/// The tags of a request as the store keeps them: a missing key is the request validator's
/// error, a missing value is empty, and a key given twice keeps its last value.
pub(crate) fn check_tags(tags: &[Tag], member: &str) -> Result<Vec<store::Tag>, ApiError> {
    let mut out: Vec<store::Tag> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let Some(key) = &tag.key else {
            return Err(constraint(
                format!("{member}.{}.member.key", i + 1),
                ViolationValue::Null,
                "Member must not be null",
            ));
        };
        let value = tag.value.clone().unwrap_or_default();
        match out.iter_mut().find(|t| t.key == *key) {
            Some(t) => t.value = value,
            None => out.push(store::Tag::new(key.clone(), value)),
        }
    }
    Ok(out)
}

/// `TooManyTags` for a resource that would carry more than [`MAX_TAGS`].
pub(crate) fn too_many_tags(arn: &str) -> ApiError {
    ApiError::TooManyTags {
        message: format!("Too many tags: a resource can have at most {MAX_TAGS} tags: '{arn}'"),
        resource_name: Some(arn.to_string()),
    }
}

/// The state machine or activity a resource ARN names, when it exists; `ResourceNotFound`
/// otherwise.
async fn taggable(rt: &Runtime, arn: &str) -> Result<String, ApiError> {
    let exists = match StatesArn::parse(arn)? {
        StatesArn::StateMachine(a) if a.map_label.is_none() && a.qualifier.is_none() => {
            let canonical = a.to_string();
            let found = rt.store.state_machine(&canonical).await.map_err(internal)?;
            found.map(|_| canonical)
        }
        StatesArn::Activity(a) => {
            let canonical = a.to_string();
            let found = rt.store.activity(&canonical).await.map_err(internal)?;
            found.map(|_| canonical)
        }
        _ => None,
    };
    exists.ok_or_else(|| resource_not_found(arn))
}

pub(crate) async fn tag_resource(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: TagResourceInput,
) -> Result<TagResourceOutput, ApiError> {
    let tags = check_tags(&input.tags, "tags")?;
    let arn = taggable(rt, &input.resource_arn).await?;
    let mut keys: BTreeMap<String, ()> = rt
        .store
        .tags(&arn)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|t| (t.key, ()))
        .collect();
    keys.extend(tags.iter().map(|t| (t.key.clone(), ())));
    if keys.len() > MAX_TAGS {
        return Err(too_many_tags(&input.resource_arn));
    }
    if tags.is_empty() {
        return Ok(TagResourceOutput {});
    }
    match rt
        .store
        .commit(WriteBatch::new().with(Op::TagResource { arn, tags }))
        .await
    {
        Ok(()) => Ok(TagResourceOutput {}),
        Err(StoreError::NotFound { .. }) => Err(resource_not_found(&input.resource_arn)),
        Err(e) => Err(internal(e)),
    }
}

pub(crate) async fn untag_resource(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<UntagResourceOutput, ApiError> {
    let arn = taggable(rt, &input.resource_arn).await?;
    if input.tag_keys.is_empty() {
        return Ok(UntagResourceOutput {});
    }
    rt.store
        .commit(WriteBatch::new().with(Op::UntagResource {
            arn,
            keys: input.tag_keys,
        }))
        .await
        .map_err(internal)?;
    Ok(UntagResourceOutput {})
}

pub(crate) async fn list_tags_for_resource(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput, ApiError> {
    let arn = taggable(rt, &input.resource_arn).await?;
    let tags = rt.store.tags(&arn).await.map_err(internal)?;
    Ok(ListTagsForResourceOutput {
        tags: Some(
            tags.into_iter()
                .map(|t| Tag {
                    key: Some(t.key),
                    value: Some(t.value),
                })
                .collect(),
        ),
    })
}
