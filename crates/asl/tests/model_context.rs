//! Which states get a context object built: only those whose fields may read it. A JSONata
//! state that reads `$states.input` alone never needs one (building it is most of a simple
//! state's cost); any reach into `$states.context`, `$states` whole, or the clock (the
//! context's entered time) does.

use baton_asl::model::StateMachine;
use serde_json::json;

fn uses_context(output: &str) -> bool {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Pass", "Output": {"v": output}, "End": true}}});
    let machine = StateMachine::from_value(&def).expect("valid definition");
    machine.states.get("S").expect("state S").uses_context
}

#[test]
fn jsonata_states_build_the_context_only_when_an_expression_reaches_it() {
    for (output, expected) in [
        ("{% $states.input.a %}", false),
        (
            "{% $states.input.a + $sum($states.input.items.price) %}",
            false,
        ),
        ("{% $states.result %}", false),
        ("{% $states.context.Execution.Id %}", true),
        ("{% $states.context %}", true),
        ("{% $states %}", true),
        ("{% $keys($states) %}", true),
        (
            "{% $states.input.a ? $states.context.State.Name : 1 %}",
            true,
        ),
        ("{% $now() %}", true),
        ("{% $millis() %}", true),
        ("plain text", false),
    ] {
        assert_eq!(uses_context(output), expected, "{output}");
    }
}

#[test]
fn jsonpath_states_build_it_for_any_mention_of_the_context() {
    let def = json!({"StartAt": "S", "States": {
        "S": {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, "Next": "T"},
        "T": {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "End": true}}});
    let machine = StateMachine::from_value(&def).expect("valid definition");
    assert!(machine.states.get("S").expect("S").uses_context);
    assert!(!machine.states.get("T").expect("T").uses_context);
}
