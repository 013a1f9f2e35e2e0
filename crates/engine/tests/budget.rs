//! A step's evaluation budget (`baton_asl::budget`): an expression that never ends or that
//! allocates without bound fails its state with `States.QueryEvaluationError`, the execution
//! ends, and the thread is free again. The allocator that counts memory is installed here as
//! the `baton` binary installs it.

use std::sync::Arc;
use std::time::Duration;

use baton_asl::budget::Budget;
use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, TaskHandler, TaskReply, VirtualClock};
use baton_engine::{EventDetails, Execution, ExecutionInfo, Limits, Status, TaskRequest};
use proptest::prelude::*;
use serde_json::{json, Value};

#[global_allocator]
static ALLOCATOR: baton_alloc::Budgeted = baton_alloc::Budgeted;

struct NoTasks;

impl TaskHandler for NoTasks {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        panic!("no Task state in these machines: {request:?}")
    }
}

fn budget(ms: u64, mib: usize) -> Limits {
    Limits {
        budget: Some(Budget {
            time: Duration::from_millis(ms),
            memory_bytes: mib * 1024 * 1024,
        }),
        ..Limits::default()
    }
}

/// A JSONata machine whose one Pass state outputs `expression`, with `extra` states after it.
fn pass(expression: &str) -> StateMachine {
    StateMachine::from_value(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": format!("{{% {expression} %}}"), "End": true}}
    }))
    .expect("model")
}

fn run(machine: StateMachine, limits: Limits) -> Execution {
    let mut execution = Execution::new(Arc::new(machine), limits);
    let mut clock = VirtualClock::starting_at(1_700_000_000_000);
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "m", "e");
    run_to_end(&mut execution, info, json!({}), 7, &mut clock, &mut NoTasks);
    execution
}

/// The error and cause the execution failed with.
fn failure(execution: &Execution) -> (String, String) {
    assert_eq!(
        execution.status(),
        Status::Failed,
        "{:?}",
        execution.outcome()
    );
    let outcome = execution.outcome().expect("ended");
    (
        outcome.error.clone().unwrap_or_default(),
        outcome.cause.clone().unwrap_or_default(),
    )
}

#[test]
fn a_tail_call_that_never_ends_fails_the_state_within_the_time_budget() {
    let execution = run(
        pass("($f := function($x){$f($x)}; $f(1))"),
        budget(200, 256),
    );
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(cause.contains("budget of 200 ms"), "{cause}");
    // AWS reports a JSONata failure with an EvaluationFailed event before the execution fails.
    assert!(execution
        .history()
        .iter()
        .any(|e| matches!(e.details, EventDetails::EvaluationFailed { .. })));
}

#[test]
fn a_string_doubled_without_end_fails_the_state_within_the_memory_budget() {
    let doubling = "($d := function($s){$d($s & $s)}; $d('x'))";
    let execution = run(pass(doubling), budget(60_000, 64));
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(cause.contains("64 MiB of memory"), "{cause}");
}

#[test]
fn copies_of_a_large_value_fail_within_the_memory_budget() {
    // The second state's output references a 200 KB string 400 times: the direct evaluator
    // (which answers plain references) counts what it copies, declines past the budget, and
    // the evaluator fails the state as for any other expression.
    let copies = vec!["$states.input"; 400].join(", ");
    let machine = StateMachine::from_value(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Big",
        "States": {
            "Big": {"Type": "Pass", "Output": "{% $pad('', 200000, 'x') %}", "Next": "Copies"},
            "Copies": {"Type": "Pass", "Output": format!("{{% [{copies}] %}}"), "End": true}
        }
    }))
    .expect("model");
    let execution = run(machine, budget(60_000, 64));
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(cause.contains("64 MiB of memory"), "{cause}");
}

#[test]
fn a_padded_string_of_gigabytes_is_refused_before_it_is_built() {
    let execution = run(pass("$length($pad('', 2000000000))"), budget(60_000, 256));
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.contains("$pad would build a string of 2000000000 bytes"),
        "{cause}"
    );
    // Within the bound, a computed width pads as the built-in does.
    let execution = run(pass("($w := -5; $pad('7', $w, '0'))"), budget(60_000, 256));
    assert_eq!(execution.status(), Status::Succeeded);
    assert_eq!(
        execution.outcome().unwrap().output.as_deref(),
        Some("\"00007\"")
    );
}

#[test]
fn a_sequence_past_its_bound_is_refused() {
    // Twelve million items: the memory budget is large enough, the sequence bound is not.
    let execution = run(pass("$count([1..4000].([1..3000]))"), budget(60_000, 4096));
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(cause.contains("D2015"), "{cause}");
}

#[test]
fn millions_of_strings_fail_within_the_memory_budget() {
    let execution = run(pass("$join([1..10000000].$string())"), budget(60_000, 64));
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(cause.contains("64 MiB of memory"), "{cause}");
}

#[test]
fn a_catch_sees_the_budget_failure_and_the_next_step_has_a_budget_of_its_own() {
    let machine = StateMachine::from_value(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Spin",
        "States": {
            "Spin": {"Type": "Wait", "Seconds": 1, "Next": "Loop"},
            "Loop": {"Type": "Pass", "Output": "{% ($f := function(){$f()}; $f()) %}",
                "End": true}
        }
    }))
    .expect("model");
    let execution = run(machine, budget(100, 256));
    let (error, _) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    // The same machine's honest states run in later steps with the whole budget again.
    let fine = StateMachine::from_value(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Spin",
        "States": {
            "Spin": {"Type": "Parallel", "Branches": [{"StartAt": "Loop", "States": {
                    "Loop": {"Type": "Pass", "Output": "{% ($f := function(){$f()}; $f()) %}",
                        "End": true}}}],
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Wait"}],
                "End": true},
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Sum"},
            "Sum": {"Type": "Pass", "Output": "{% $sum([1..1000]) %}", "End": true}
        }
    }))
    .expect("model");
    let execution = run(fine, budget(100, 256));
    assert_eq!(
        execution.status(),
        Status::Succeeded,
        "{:?}",
        execution.outcome()
    );
    assert_eq!(
        execution.outcome().unwrap().output.as_deref(),
        Some("500500")
    );
}

fn output_of(expression: &str, limits: Limits) -> Option<Value> {
    let execution = run(pass(expression), limits);
    let output = execution.outcome()?.output.clone()?;
    serde_json::from_str(&output).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Below every bound, a budget changes nothing: the same value as without one.
    #[test]
    fn honest_expressions_give_the_same_value_under_a_budget(
        n in 0u32..2000, width in -300i32..300, sep in "[a-z,]{0,3}"
    ) {
        let expression = format!(
            "{{'n': $sum([0..{n}]), 'p': $pad('x', {width}, '-'), 'j': $join(['a','b'], '{sep}')}}"
        );
        let free = Limits { budget: None, ..Limits::default() };
        prop_assert_eq!(output_of(&expression, budget(5_000, 256)), output_of(&expression, free));
    }

    /// `$join` and `$replace` (with a plain pattern) build their string when it fits the
    /// bound and refuse it when it does not: the check in front of them never disagrees with
    /// the size of the result.
    #[test]
    fn join_and_replace_are_refused_exactly_past_the_bound(
        items in 1usize..400, sep_kib in 0usize..400, matches in 1usize..400, repl_kib in 0usize..400
    ) {
        let bound = baton_asl::budget::MAX_STRING_BYTES;
        let join = format!(
            "$length($join($map([1..{items}], function($v){{'ab'}}), $pad('', {})))",
            sep_kib * 1024
        );
        let joined = 2 * items + (items - 1) * sep_kib * 1024;
        let replace = format!(
            "$length($replace($pad('', {matches}, 'a'), 'a', $pad('', {})))",
            repl_kib * 1024
        );
        let replaced = matches * repl_kib * 1024;
        for (expression, size) in [(join, joined), (replace, replaced)] {
            let execution = run(pass(&expression), budget(60_000, 4096));
            if size > bound {
                let (error, cause) = failure(&execution);
                prop_assert_eq!(error, "States.QueryEvaluationError");
                prop_assert!(cause.contains("would build a string"), "{}", cause);
            } else {
                prop_assert_eq!(execution.status(), Status::Succeeded, "{:?}", execution.outcome());
                let output = execution.outcome().unwrap().output.clone().unwrap();
                prop_assert_eq!(output, size.to_string());
            }
        }
    }

    /// Past the width bound, a computed `$pad` width always fails cleanly.
    #[test]
    fn pad_past_its_bound_always_fails(extra in 1u64..1_000_000_000) {
        let width = baton_asl::budget::MAX_STRING_BYTES as u64 + extra;
        let execution = run(pass(&format!("($w := {width}; $pad('', $w))")), budget(5_000, 256));
        let (error, _) = failure(&execution);
        prop_assert_eq!(error, "States.QueryEvaluationError");
    }
}

#[test]
fn an_inline_map_over_a_million_computed_items_is_refused_as_too_large() {
    let machine = StateMachine::from_value(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "Items": "{% [1..1000000] %}",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true}}
    }))
    .expect("model");
    let execution = run(machine, budget(5_000, 256));
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(cause.contains("'Each'"), "{cause}");
    // No iteration ran.
    assert!(!execution
        .history()
        .iter()
        .any(|e| matches!(e.details, EventDetails::MapIterationStarted { .. })));
}

#[test]
fn join_and_replace_that_would_build_gigabytes_in_one_call_are_refused() {
    let cases = [
        (
            "$join([1..100].$string(), $pad('', 1000000))",
            "$join would build",
        ),
        (
            "$replace($pad('', 100000, 'a'), 'a', $pad('', 1000, 'b'))",
            "$replace would build",
        ),
        (
            "$replace($pad('', 100000, 'a'), /a/, $pad('', 1000, 'b'))",
            "$replace would build",
        ),
        (
            "$replace($pad('', 100000, 'a'), /a+/, $pad('', 1000, '$0'))",
            "$replace would build",
        ),
    ];
    for (expression, why) in cases {
        let execution = run(pass(expression), budget(60_000, 4096));
        let (error, cause) = failure(&execution);
        assert_eq!(error, "States.QueryEvaluationError", "{expression}");
        assert!(cause.contains(why), "{expression}: {cause}");
    }
}

#[test]
fn guarded_join_and_replace_answer_as_the_built_ins() {
    let cases = [
        ("$join(['a', 'b'], ', ')", json!("a, b")),
        ("$join(['a', 'b'])", json!("ab")),
        ("['x', 'y'] ~> $join('-')", json!("x-y")),
        ("'abc' ~> $replace('b', 'x')", json!("axc")),
        ("$replace('hello', /l/, '$0$0')", json!("hellllo")),
        ("$replace('aaa', 'a', 'b', 2)", json!("bba")),
        (
            "$replace('abc', /b/, function($m){$uppercase($m.match)})",
            json!("aBc"),
        ),
        (
            "($join := function($a, $b){'mine'}; $join([1], 2))",
            json!("mine"),
        ),
        (
            "$map([['a','b'],['c']], function($v){$join($v, '+')})",
            json!(["a+b", "c"]),
        ),
    ];
    for (expression, expected) in cases {
        let free = Limits {
            budget: None,
            ..Limits::default()
        };
        assert_eq!(
            output_of(expression, budget(5_000, 256)),
            Some(expected.clone()),
            "{expression}"
        );
        assert_eq!(output_of(expression, free), Some(expected), "{expression}");
    }
    // The built-in still reports its own argument errors.
    let execution = run(pass("$join([1, 2], ',')"), budget(5_000, 256));
    let (_, cause) = failure(&execution);
    assert!(cause.contains("T0412"), "{cause}");
}

#[test]
fn a_panic_inside_the_evaluator_fails_the_state_and_not_the_process() {
    // jsonata-core takes a year modulo 10^width for a maximum width: past 18 digits the power
    // overflows (a panic in a debug build; 10^64 wraps to zero, a division by zero, in release).
    let execution = run(pass("$fromMillis(0, '[Y,*-64]')"), budget(5_000, 256));
    let (error, cause) = failure(&execution);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(cause.contains("The JSONata evaluator failed"), "{cause}");
}
