//! A stand-in for the runtime: just enough of `StepFunctions` to exercise the transport, and a
//! record of the `RequestContext` of every call that reached it.

use std::sync::Mutex;

use async_trait::async_trait;
use baton_api::model::*;
use baton_api::{ApiError, RequestContext, StepFunctions, Timestamp};

/// Answers four operations; the others fail with `InternalFailure`.
///
/// * ListStateMachines: one machine, `Hello`, whose ARN is in the caller's account and region.
/// * DescribeExecution: `ExecutionDoesNotExist` for any ARN.
/// * DescribeActivity: `InternalFailure` (HTTP 500), as a broken store would.
/// * StartSyncExecution: succeeds at once with the input as the output.
#[derive(Default)]
pub struct FakeService {
    seen: Mutex<Vec<RequestContext>>,
}

impl FakeService {
    /// The context of every call that reached the service, in order.
    pub fn seen(&self) -> Vec<RequestContext> {
        self.seen
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }

    fn record(&self, ctx: &RequestContext) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(ctx.clone());
        }
    }
}

/// `#[async_trait]` rewrites the methods it sees, so the methods this fake leaves out are
/// generated inside the impl block before the attribute runs.
macro_rules! fake_service {
    (
        answered { $($answered:tt)* }
        not_in_this_test { $($method:ident($input:ident) -> $output:ident;)* }
    ) => {
        #[async_trait]
        impl StepFunctions for FakeService {
            $($answered)*
            $(
                async fn $method(
                    &self,
                    ctx: &RequestContext,
                    _: $input,
                ) -> Result<$output, ApiError> {
                    self.record(ctx);
                    Err(ApiError::internal("not in this test"))
                }
            )*
        }
    };
}

fake_service! {
    answered {
        async fn list_state_machines(
            &self,
            ctx: &RequestContext,
            _: ListStateMachinesInput,
        ) -> Result<ListStateMachinesOutput, ApiError> {
            self.record(ctx);
            Ok(ListStateMachinesOutput {
                state_machines: vec![StateMachineListItem {
                    state_machine_arn: format!(
                        "arn:{}:states:{}:{}:stateMachine:Hello",
                        ctx.partition(),
                        ctx.region,
                        ctx.account_id
                    ),
                    name: "Hello".into(),
                    r#type: StateMachineType::Standard,
                    creation_date: Timestamp::from_millis(1_700_000_000_123),
                }],
                next_token: None,
            })
        }

        async fn describe_execution(
            &self,
            ctx: &RequestContext,
            input: DescribeExecutionInput,
        ) -> Result<DescribeExecutionOutput, ApiError> {
            self.record(ctx);
            Err(ApiError::execution_does_not_exist(&input.execution_arn))
        }

        async fn describe_activity(
            &self,
            ctx: &RequestContext,
            _: DescribeActivityInput,
        ) -> Result<DescribeActivityOutput, ApiError> {
            self.record(ctx);
            Err(ApiError::internal("the store is unavailable"))
        }

        async fn start_sync_execution(
            &self,
            ctx: &RequestContext,
            input: StartSyncExecutionInput,
        ) -> Result<StartSyncExecutionOutput, ApiError> {
            self.record(ctx);
            let name = input.name.unwrap_or_else(|| "sync".into());
            let execution_arn = input
                .state_machine_arn
                .replacen(":stateMachine:", ":express:", 1)
                + &format!(":{name}");
            Ok(StartSyncExecutionOutput {
                execution_arn,
                state_machine_arn: Some(input.state_machine_arn),
                name: Some(name),
                start_date: Timestamp::from_millis(1_700_000_000_000),
                stop_date: Timestamp::from_millis(1_700_000_000_250),
                status: SyncExecutionStatus::Succeeded,
                error: None,
                cause: None,
                input: input.input.clone(),
                input_details: None,
                output: input.input,
                output_details: None,
                trace_header: None,
                billing_details: None,
            })
        }
    }
    not_in_this_test {
        create_activity(CreateActivityInput) -> CreateActivityOutput;
        create_state_machine(CreateStateMachineInput) -> CreateStateMachineOutput;
        create_state_machine_alias(CreateStateMachineAliasInput) -> CreateStateMachineAliasOutput;
        delete_activity(DeleteActivityInput) -> DeleteActivityOutput;
        delete_state_machine(DeleteStateMachineInput) -> DeleteStateMachineOutput;
        delete_state_machine_alias(DeleteStateMachineAliasInput) -> DeleteStateMachineAliasOutput;
        delete_state_machine_version(DeleteStateMachineVersionInput) -> DeleteStateMachineVersionOutput;
        describe_map_run(DescribeMapRunInput) -> DescribeMapRunOutput;
        describe_state_machine(DescribeStateMachineInput) -> DescribeStateMachineOutput;
        describe_state_machine_alias(DescribeStateMachineAliasInput) -> DescribeStateMachineAliasOutput;
        describe_state_machine_for_execution(DescribeStateMachineForExecutionInput) -> DescribeStateMachineForExecutionOutput;
        get_activity_task(GetActivityTaskInput) -> GetActivityTaskOutput;
        get_execution_history(GetExecutionHistoryInput) -> GetExecutionHistoryOutput;
        list_activities(ListActivitiesInput) -> ListActivitiesOutput;
        list_executions(ListExecutionsInput) -> ListExecutionsOutput;
        list_map_runs(ListMapRunsInput) -> ListMapRunsOutput;
        list_state_machine_aliases(ListStateMachineAliasesInput) -> ListStateMachineAliasesOutput;
        list_state_machine_versions(ListStateMachineVersionsInput) -> ListStateMachineVersionsOutput;
        list_tags_for_resource(ListTagsForResourceInput) -> ListTagsForResourceOutput;
        publish_state_machine_version(PublishStateMachineVersionInput) -> PublishStateMachineVersionOutput;
        redrive_execution(RedriveExecutionInput) -> RedriveExecutionOutput;
        send_task_failure(SendTaskFailureInput) -> SendTaskFailureOutput;
        send_task_heartbeat(SendTaskHeartbeatInput) -> SendTaskHeartbeatOutput;
        send_task_success(SendTaskSuccessInput) -> SendTaskSuccessOutput;
        start_execution(StartExecutionInput) -> StartExecutionOutput;
        stop_execution(StopExecutionInput) -> StopExecutionOutput;
        tag_resource(TagResourceInput) -> TagResourceOutput;
        test_state(TestStateInput) -> TestStateOutput;
        untag_resource(UntagResourceInput) -> UntagResourceOutput;
        update_map_run(UpdateMapRunInput) -> UpdateMapRunOutput;
        update_state_machine(UpdateStateMachineInput) -> UpdateStateMachineOutput;
        update_state_machine_alias(UpdateStateMachineAliasInput) -> UpdateStateMachineAliasOutput;
        validate_state_machine_definition(ValidateStateMachineDefinitionInput) -> ValidateStateMachineDefinitionOutput;
    }
}
