//! The API decoder: any bytes as the body of any operation. Decoding answers an input or an
//! AWS-shaped error, never a panic; a decoded input encodes again and its error renders.
#![no_main]

use baton_api::model::*;
use baton_api::{decode_input, ApiError, OperationInput};
use libfuzzer_sys::fuzz_target;

fn check<T: OperationInput + serde::Serialize>(body: &[u8]) {
    match decode_input::<T>(body) {
        Ok(input) => {
            serde_json::to_vec(&input).expect("a decoded input encodes");
        }
        Err(e) => {
            let _: ApiError = e.clone();
            assert!(e.body().get("__type").is_some());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which as usize % 37 {
        0 => check::<CreateActivityInput>(body),
        1 => check::<CreateStateMachineInput>(body),
        2 => check::<CreateStateMachineAliasInput>(body),
        3 => check::<DeleteActivityInput>(body),
        4 => check::<DeleteStateMachineInput>(body),
        5 => check::<DeleteStateMachineAliasInput>(body),
        6 => check::<DeleteStateMachineVersionInput>(body),
        7 => check::<DescribeActivityInput>(body),
        8 => check::<DescribeExecutionInput>(body),
        9 => check::<DescribeMapRunInput>(body),
        10 => check::<DescribeStateMachineInput>(body),
        11 => check::<DescribeStateMachineAliasInput>(body),
        12 => check::<DescribeStateMachineForExecutionInput>(body),
        13 => check::<GetActivityTaskInput>(body),
        14 => check::<GetExecutionHistoryInput>(body),
        15 => check::<ListActivitiesInput>(body),
        16 => check::<ListExecutionsInput>(body),
        17 => check::<ListMapRunsInput>(body),
        18 => check::<ListStateMachineAliasesInput>(body),
        19 => check::<ListStateMachineVersionsInput>(body),
        20 => check::<ListStateMachinesInput>(body),
        21 => check::<ListTagsForResourceInput>(body),
        22 => check::<PublishStateMachineVersionInput>(body),
        23 => check::<RedriveExecutionInput>(body),
        24 => check::<SendTaskFailureInput>(body),
        25 => check::<SendTaskHeartbeatInput>(body),
        26 => check::<SendTaskSuccessInput>(body),
        27 => check::<StartExecutionInput>(body),
        28 => check::<StartSyncExecutionInput>(body),
        29 => check::<StopExecutionInput>(body),
        30 => check::<TagResourceInput>(body),
        31 => check::<TestStateInput>(body),
        32 => check::<UntagResourceInput>(body),
        33 => check::<UpdateMapRunInput>(body),
        34 => check::<UpdateStateMachineInput>(body),
        35 => check::<UpdateStateMachineAliasInput>(body),
        36 => check::<ValidateStateMachineDefinitionInput>(body),
        _ => {}
    }
});
