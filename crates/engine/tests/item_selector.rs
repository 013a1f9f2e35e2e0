//! A Map's `ItemSelector` sees, for each item, the context object with that item's
//! `$$.Map.Item` (`Index`, `Value`) and everything else of the state's context, in JSONPath
//! and in JSONata, whatever the Map's size; the context is built once per Map and each item
//! only replaces its `Map.Item`.

mod support;

use serde_json::{json, Value};

fn map(selector: Value, query_language: Option<&str>) -> Value {
    let mut def = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemSelector": selector,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true
    }}});
    if let Some(q) = query_language {
        def["QueryLanguage"] = json!(q);
        let each = &mut def["States"]["Each"];
        let items = each.as_object_mut().unwrap().remove("ItemsPath");
        assert!(items.is_some());
        each["Items"] = json!("{% $states.input.items %}");
    }
    def
}

fn output(def: &Value, input: Value) -> Value {
    let outcome = support::run(def, input);
    serde_json::from_str(outcome.output.as_deref().expect("succeeded")).expect("JSON")
}

#[test]
fn each_item_sees_its_own_index_and_value_and_the_whole_context() {
    let items: Vec<Value> = (0..300).map(|i| json!({"n": i})).collect();
    let input = json!({"tag": "t", "items": items});
    let expected: Vec<Value> = (0..300)
        .map(|i| json!({"i": i, "v": {"n": i}, "s": "Each", "tag": "t"}))
        .collect();
    let jsonpath = map(
        json!({
            "i.$": "$$.Map.Item.Index",
            "v.$": "$$.Map.Item.Value",
            "s.$": "$$.State.Name",
            "tag.$": "$$.Execution.Input.tag"
        }),
        None,
    );
    assert_eq!(output(&jsonpath, input.clone()), json!(expected));
    let jsonata = map(
        json!({
            "i": "{% $states.context.Map.Item.Index %}",
            "v": "{% $states.context.Map.Item.Value %}",
            "s": "{% $states.context.State.Name %}",
            "tag": "{% $states.context.Execution.Input.tag %}"
        }),
        Some("JSONata"),
    );
    assert_eq!(output(&jsonata, input), json!(expected));
}

#[test]
fn the_context_keeps_its_key_order_with_map_last() {
    // `$$` as one value: its keys in the order AWS's context object has them, Map.Item last.
    let def = map(json!({"ctx.$": "$$"}), None);
    let out = output(&def, json!({"items": ["a", "b"]}));
    for (i, item) in ["a", "b"].iter().enumerate() {
        let ctx = out[i]["ctx"].as_object().expect("an object");
        let keys: Vec<&str> = ctx.keys().map(String::as_str).collect();
        assert_eq!(keys.last(), Some(&"Map"), "{keys:?}");
        assert_eq!(ctx["Map"], json!({"Item": {"Index": i, "Value": item}}));
    }
}
