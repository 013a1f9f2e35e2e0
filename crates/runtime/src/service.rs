//! `StepFunctions` for [`Runtime`]: each operation is a function of the module that owns it.

use async_trait::async_trait;
use baton_api::model::*;
use baton_api::{ApiError, RequestContext, StepFunctions};

use crate::{control, executions, guard, tasks, Runtime};

#[async_trait]
impl StepFunctions for Runtime {
    async fn create_activity(
        &self,
        ctx: &RequestContext,
        input: CreateActivityInput,
    ) -> Result<CreateActivityOutput, ApiError> {
        guard(ctx, &input)?;
        control::create_activity(self, ctx, input).await
    }
    async fn create_state_machine(
        &self,
        ctx: &RequestContext,
        input: CreateStateMachineInput,
    ) -> Result<CreateStateMachineOutput, ApiError> {
        guard(ctx, &input)?;
        control::create_state_machine(self, ctx, input).await
    }
    async fn create_state_machine_alias(
        &self,
        ctx: &RequestContext,
        input: CreateStateMachineAliasInput,
    ) -> Result<CreateStateMachineAliasOutput, ApiError> {
        guard(ctx, &input)?;
        control::create_state_machine_alias(self, ctx, input).await
    }
    async fn delete_activity(
        &self,
        ctx: &RequestContext,
        input: DeleteActivityInput,
    ) -> Result<DeleteActivityOutput, ApiError> {
        guard(ctx, &input)?;
        control::delete_activity(self, ctx, input).await
    }
    async fn delete_state_machine(
        &self,
        ctx: &RequestContext,
        input: DeleteStateMachineInput,
    ) -> Result<DeleteStateMachineOutput, ApiError> {
        guard(ctx, &input)?;
        control::delete_state_machine(self, ctx, input).await
    }
    async fn delete_state_machine_alias(
        &self,
        ctx: &RequestContext,
        input: DeleteStateMachineAliasInput,
    ) -> Result<DeleteStateMachineAliasOutput, ApiError> {
        guard(ctx, &input)?;
        control::delete_state_machine_alias(self, ctx, input).await
    }
    async fn delete_state_machine_version(
        &self,
        ctx: &RequestContext,
        input: DeleteStateMachineVersionInput,
    ) -> Result<DeleteStateMachineVersionOutput, ApiError> {
        guard(ctx, &input)?;
        control::delete_state_machine_version(self, ctx, input).await
    }
    async fn describe_activity(
        &self,
        ctx: &RequestContext,
        input: DescribeActivityInput,
    ) -> Result<DescribeActivityOutput, ApiError> {
        guard(ctx, &input)?;
        control::describe_activity(self, ctx, input).await
    }
    async fn describe_execution(
        &self,
        ctx: &RequestContext,
        input: DescribeExecutionInput,
    ) -> Result<DescribeExecutionOutput, ApiError> {
        guard(ctx, &input)?;
        executions::describe_execution(self, ctx, input).await
    }
    async fn describe_map_run(
        &self,
        ctx: &RequestContext,
        input: DescribeMapRunInput,
    ) -> Result<DescribeMapRunOutput, ApiError> {
        guard(ctx, &input)?;
        control::describe_map_run(self, ctx, input).await
    }
    async fn describe_state_machine(
        &self,
        ctx: &RequestContext,
        input: DescribeStateMachineInput,
    ) -> Result<DescribeStateMachineOutput, ApiError> {
        guard(ctx, &input)?;
        control::describe_state_machine(self, ctx, input).await
    }
    async fn describe_state_machine_alias(
        &self,
        ctx: &RequestContext,
        input: DescribeStateMachineAliasInput,
    ) -> Result<DescribeStateMachineAliasOutput, ApiError> {
        guard(ctx, &input)?;
        control::describe_state_machine_alias(self, ctx, input).await
    }
    async fn describe_state_machine_for_execution(
        &self,
        ctx: &RequestContext,
        input: DescribeStateMachineForExecutionInput,
    ) -> Result<DescribeStateMachineForExecutionOutput, ApiError> {
        guard(ctx, &input)?;
        executions::describe_state_machine_for_execution(self, ctx, input).await
    }
    async fn get_activity_task(
        &self,
        ctx: &RequestContext,
        input: GetActivityTaskInput,
    ) -> Result<GetActivityTaskOutput, ApiError> {
        guard(ctx, &input)?;
        tasks::get_activity_task(self, ctx, input).await
    }
    async fn get_execution_history(
        &self,
        ctx: &RequestContext,
        input: GetExecutionHistoryInput,
    ) -> Result<GetExecutionHistoryOutput, ApiError> {
        guard(ctx, &input)?;
        executions::get_execution_history(self, ctx, input).await
    }
    async fn list_activities(
        &self,
        ctx: &RequestContext,
        input: ListActivitiesInput,
    ) -> Result<ListActivitiesOutput, ApiError> {
        guard(ctx, &input)?;
        control::list_activities(self, ctx, input).await
    }
    async fn list_executions(
        &self,
        ctx: &RequestContext,
        input: ListExecutionsInput,
    ) -> Result<ListExecutionsOutput, ApiError> {
        guard(ctx, &input)?;
        executions::list_executions(self, ctx, input).await
    }
    async fn list_map_runs(
        &self,
        ctx: &RequestContext,
        input: ListMapRunsInput,
    ) -> Result<ListMapRunsOutput, ApiError> {
        guard(ctx, &input)?;
        control::list_map_runs(self, ctx, input).await
    }
    async fn list_state_machine_aliases(
        &self,
        ctx: &RequestContext,
        input: ListStateMachineAliasesInput,
    ) -> Result<ListStateMachineAliasesOutput, ApiError> {
        guard(ctx, &input)?;
        control::list_state_machine_aliases(self, ctx, input).await
    }
    async fn list_state_machine_versions(
        &self,
        ctx: &RequestContext,
        input: ListStateMachineVersionsInput,
    ) -> Result<ListStateMachineVersionsOutput, ApiError> {
        guard(ctx, &input)?;
        control::list_state_machine_versions(self, ctx, input).await
    }
    async fn list_state_machines(
        &self,
        ctx: &RequestContext,
        input: ListStateMachinesInput,
    ) -> Result<ListStateMachinesOutput, ApiError> {
        guard(ctx, &input)?;
        control::list_state_machines(self, ctx, input).await
    }
    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceInput,
    ) -> Result<ListTagsForResourceOutput, ApiError> {
        guard(ctx, &input)?;
        control::list_tags_for_resource(self, ctx, input).await
    }
    async fn publish_state_machine_version(
        &self,
        ctx: &RequestContext,
        input: PublishStateMachineVersionInput,
    ) -> Result<PublishStateMachineVersionOutput, ApiError> {
        guard(ctx, &input)?;
        control::publish_state_machine_version(self, ctx, input).await
    }
    async fn redrive_execution(
        &self,
        ctx: &RequestContext,
        input: RedriveExecutionInput,
    ) -> Result<RedriveExecutionOutput, ApiError> {
        guard(ctx, &input)?;
        executions::redrive_execution(self, ctx, input).await
    }
    async fn send_task_failure(
        &self,
        ctx: &RequestContext,
        input: SendTaskFailureInput,
    ) -> Result<SendTaskFailureOutput, ApiError> {
        guard(ctx, &input)?;
        tasks::send_task_failure(self, ctx, input).await
    }
    async fn send_task_heartbeat(
        &self,
        ctx: &RequestContext,
        input: SendTaskHeartbeatInput,
    ) -> Result<SendTaskHeartbeatOutput, ApiError> {
        guard(ctx, &input)?;
        tasks::send_task_heartbeat(self, ctx, input).await
    }
    async fn send_task_success(
        &self,
        ctx: &RequestContext,
        input: SendTaskSuccessInput,
    ) -> Result<SendTaskSuccessOutput, ApiError> {
        guard(ctx, &input)?;
        tasks::send_task_success(self, ctx, input).await
    }
    async fn start_execution(
        &self,
        ctx: &RequestContext,
        input: StartExecutionInput,
    ) -> Result<StartExecutionOutput, ApiError> {
        guard(ctx, &input)?;
        input_depth(input.input.as_deref())?;
        executions::start_execution(self, ctx, input).await
    }
    async fn start_sync_execution(
        &self,
        ctx: &RequestContext,
        input: StartSyncExecutionInput,
    ) -> Result<StartSyncExecutionOutput, ApiError> {
        guard(ctx, &input)?;
        input_depth(input.input.as_deref())?;
        executions::start_sync_execution(self, ctx, input).await
    }
    async fn stop_execution(
        &self,
        ctx: &RequestContext,
        input: StopExecutionInput,
    ) -> Result<StopExecutionOutput, ApiError> {
        guard(ctx, &input)?;
        executions::stop_execution(self, ctx, input).await
    }
    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceInput,
    ) -> Result<TagResourceOutput, ApiError> {
        guard(ctx, &input)?;
        control::tag_resource(self, ctx, input).await
    }
    async fn test_state(
        &self,
        ctx: &RequestContext,
        input: TestStateInput,
    ) -> Result<TestStateOutput, ApiError> {
        guard(ctx, &input)?;
        control::test_state(self, ctx, input).await
    }
    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceInput,
    ) -> Result<UntagResourceOutput, ApiError> {
        guard(ctx, &input)?;
        control::untag_resource(self, ctx, input).await
    }
    async fn update_map_run(
        &self,
        ctx: &RequestContext,
        input: UpdateMapRunInput,
    ) -> Result<UpdateMapRunOutput, ApiError> {
        guard(ctx, &input)?;
        control::update_map_run(self, ctx, input).await
    }
    async fn update_state_machine(
        &self,
        ctx: &RequestContext,
        input: UpdateStateMachineInput,
    ) -> Result<UpdateStateMachineOutput, ApiError> {
        guard(ctx, &input)?;
        control::update_state_machine(self, ctx, input).await
    }
    async fn update_state_machine_alias(
        &self,
        ctx: &RequestContext,
        input: UpdateStateMachineAliasInput,
    ) -> Result<UpdateStateMachineAliasOutput, ApiError> {
        guard(ctx, &input)?;
        control::update_state_machine_alias(self, ctx, input).await
    }
    async fn validate_state_machine_definition(
        &self,
        ctx: &RequestContext,
        input: ValidateStateMachineDefinitionInput,
    ) -> Result<ValidateStateMachineDefinitionOutput, ApiError> {
        guard(ctx, &input)?;
        control::validate_state_machine_definition(self, ctx, input).await
    }
}

/// An execution input nested past AWS's limit is refused with the limit's message, before the
/// input is parsed at all.
fn input_depth(input: Option<&str>) -> Result<(), ApiError> {
    match input.and_then(|text| baton_api::json::too_deep(text.as_bytes())) {
        Some(depth) => Err(ApiError::invalid_execution_input(
            &baton_api::json::Error::TooDeep { depth }.to_string(),
        )),
        None => Ok(()),
    }
}
