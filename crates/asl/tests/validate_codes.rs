//! One small definition per diagnostic: the exact diagnostics it gets, with code, pointer,
//! AWS location, message and line:column.
//!
//! In a row's text, `«` marks where the first expected diagnostic points and `»` the second;
//! the markers are removed before the text is validated. A message ending in `…` is compared
//! as a prefix.

use baton_asl::validate::{
    invalid_definition_message, validate_text, Diagnostic, MachineType, Options, Severity,
};

struct Row {
    name: &'static str,
    text: String,
    express: bool,
    /// (code, pointer, location, message)
    expect: Vec<(
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
    )>,
}

const S: &str = "SCHEMA_VALIDATION_FAILED";
const T: &str = "MISSING_TRANSITION_TARGET";

fn row(
    name: &'static str,
    text: &str,
    expect: &[(
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
    )],
) -> Row {
    Row {
        name,
        text: text.to_string(),
        express: false,
        expect: expect.to_vec(),
    }
}

/// A machine whose only state is `state` (named A), which must be terminal itself.
fn one(state: &str) -> String {
    format!("{{\"StartAt\": \"A\", \"States\": {{\"A\": {state}}}}}")
}

/// A Choice state A whose rules all go to the Succeed state B.
fn choice(rules: &str, extra: &str) -> String {
    format!(
        "{{\"StartAt\": \"A\",{extra} \"States\": {{\"A\": {{\"Type\": \"Choice\", \"Choices\": \
         {rules}}}, \"B\": {{\"Type\": \"Succeed\"}}}}}}"
    )
}

/// A Map state M with an item processor of one Succeed state.
fn map(fields: &str, config: &str) -> String {
    format!(
        "{{\"StartAt\": \"M\", \"States\": {{\"M\": {{\"Type\": \"Map\", \"End\": true, {fields} \
         \"ItemProcessor\": {{{config} \"StartAt\": \"I\", \"States\": {{\"I\": {{\"Type\": \
         \"Succeed\"}}}}}}}}}}}}"
    )
}

fn task(fields: &str) -> String {
    one(&format!(
        "{{\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::lambda:invoke\", \"End\": true, {fields}}}"
    ))
}

fn nested_parallels(depth: usize) -> String {
    let mut inner =
        "{\"StartAt\": \"X\", \"States\": {\"X\": {\"Type\": \"Succeed\"}}}".to_string();
    for i in (0..depth).rev() {
        let marker = if i + 1 == depth { "«" } else { "" };
        inner = format!(
            "{{\"StartAt\": \"P{i}\", \"States\": {{\"P{i}\": {{\"Type\": \"Parallel\", \"End\": \
             true, \"Branches\": [{marker}{inner}]}}}}}}"
        );
    }
    inner
}

fn rows() -> Vec<Row> {
    let long = "x".repeat(81);
    let deep = nested_parallels(65);
    let deep_pointer: &'static str = Box::leak(
        (0..65)
            .map(|i| format!("/States/P{i}/Branches/0"))
            .collect::<String>()
            .into_boxed_str(),
    );
    let deep_location: &'static str = Box::leak(
        (0..65)
            .map(|i| format!("/States/P{i}/Branches[0]"))
            .collect::<String>()
            .into_boxed_str(),
    );
    vec![
        // The definition as a whole.
        row("json syntax error", "{\"StartAt\": \"A\",«}", &[("INVALID_JSON_DESCRIPTION", "", None,
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field name")]),
        row("comment in strict JSON", "{«// c\n}", &[("INVALID_JSON_DESCRIPTION", "", None,
            "Unexpected character ('/' (code 47)): maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)")]),
        row("not an object", "«[1, 2]", &[(S, "", None, "Definition must be a valid JSON object")]),
        row("only white space", "«  ", &[(S, "", None, "Definition must be a valid JSON object")]),
        row("required top-level fields", "«{}", &[(S, "", Some("/"), "These fields are required: [States, StartAt]")]),
        row("unknown top-level field", "«{\"StartAt\": \"A\", \"Foo\": 1, \"States\": {\"A\": {\"Type\": \"Succeed\"}}}",
            &[(S, "", Some("/"), "Field 'Foo' is not supported")]),
        row("bad top-level QueryLanguage", "{\"QueryLanguage\": «\"XPath\", \"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}",
            &[(S, "/QueryLanguage", Some("/QueryLanguage"), "Value should be one of the following: [JSONPath, JSONata]")]),
        row("top-level TimeoutSeconds", "{\"TimeoutSeconds\": «0, \"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}",
            &[(S, "/TimeoutSeconds", Some("/TimeoutSeconds"), "Value should be greater than or equal to 1")]),
        row("empty States", "{\"StartAt\": »\"A\", \"States\": «{}}",
            &[(S, "/States", Some("/States"), "Value cannot be empty"), (T, "/StartAt", Some("/StartAt"), "Missing 'Next' target: A")]),
        // Transitions and reachability.
        row("StartAt names no state", "{\"StartAt\": «\"B\", \"States\": {\"A\": »{\"Type\": \"Succeed\"}}}",
            &[(T, "/StartAt", Some("/StartAt"), "Missing 'Next' target: B"), (T, "/States/A", Some("/States/A"), "State \"A\" is not reachable.")]),
        row("Next names no state", "{\"StartAt\": \"A\", \"States\": {\n  \"A\": {\"Type\": \"Pass\", \"Next\": «\"B\"},\n  \"C\": »{\"Type\": \"Succeed\"}}}",
            &[(T, "/States/A/Next", Some("/States/A/Next"), "Missing 'Next' target: B"),
              (T, "/States/C", Some("/States/C"), "State \"C\" is not reachable.")]),
        row("unreachable state", "{\"StartAt\": \"A\", \"States\": {\n  \"A\": {\"Type\": \"Succeed\"},\n  \"B\": «{\"Type\": \"Succeed\"}}}",
            &[(T, "/States/B", Some("/States/B"), "State \"B\" is not reachable.")]),
        row("Catch Next names no state", &task("\"Catch\": [{\"ErrorEquals\": [\"States.ALL\"], \"Next\": «\"Nowhere\"}]"),
            &[(T, "/States/A/Catch/0/Next", Some("/States/A/Catch[0]/Next"), "Missing 'Next' target: Nowhere")]),
        row("Choice Default names no state", &choice("[{\"Variable\": \"$.x\", \"IsPresent\": true, \"Next\": \"B\"}], \"Default\": «\"Z\"", ""),
            &[(T, "/States/A/Default", Some("/States/A/Default"), "Missing 'Next' target: Z")]),
        row("Next cannot leave a branch", "{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\": \"Parallel\", \"End\": true, \"Branches\": [\n  {\"StartAt\": \"Q\", \"States\": {\"Q\": {\"Type\": \"Pass\", \"Next\": «\"P\"}}}]}}}",
            &[(T, "/States/P/Branches/0/States/Q/Next", Some("/States/P/Branches[0]/States/Q/Next"), "Missing 'Next' target: P")]),
        row("no terminal state", "{\"StartAt\": \"A\", \"States\": «{\n  \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"},\n  \"B\": {\"Type\": \"Pass\", \"Next\": \"A\"}}}",
            &[("MISSING_END_STATE", "/States", None, "Workflow has no terminal state")]),
        row("no terminal state hides unreachable states", "{\"StartAt\": \"A\", \"States\": «{\"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}, \"B\": {\"Type\": \"Pass\", \"Next\": \"A\"}, \"C\": {\"Type\": \"Pass\", \"Next\": \"A\"}}}",
            &[("MISSING_END_STATE", "/States", None, "Workflow has no terminal state")]),
        row("dangling Next and no terminal state", "{\"StartAt\": \"A\", \"States\": »{\"A\": {\"Type\": \"Pass\", \"Next\": «\"NOPE\"}}}",
            &[(T, "/States/A/Next", Some("/States/A/Next"), "Missing 'Next' target: NOPE"),
              ("MISSING_END_STATE", "/States", None, "Workflow has no terminal state")]),
        row("a branch is only walked for reachability", "{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\": \"Parallel\", \"End\": true, \"Branches\": [\n  {\"StartAt\": \"Q\", \"States\": {\"Q\": {\"Type\": \"Pass\", \"Next\": \"R\"}, \"R\": {\"Type\": \"Pass\", \"Next\": \"Q\"}, \"S\": «{\"Type\": \"Succeed\"}}}]}}}",
            &[(T, "/States/P/Branches/0/States/S", Some("/States/P/Branches[0]/States/S"), "State \"S\" is not reachable.")]),
        // State names.
        row("state name reused in a branch", "{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\": \"Parallel\", \"End\": true, \"Branches\": [\n  {\"StartAt\": \"P\", \"States\": {\"P\": «{\"Type\": \"Succeed\"}}}]}}}",
            &[("DUPLICATE_STATE_NAME", "/States/P/Branches/0/States/P", Some("/States/P/Branches[0]/States/P"), "Duplicate State name: P")]),
        row("state name repeated as a JSON key", "{\"StartAt\": \"A\", \"States\": {\n  \"A\": {\"Type\": \"Succeed\"},\n  \"A\": «{\"Type\": \"Succeed\"}}}",
            &[("DUPLICATE_STATE_NAME", "/States/A", Some("/States/A"), "Duplicate State name: A")]),
        Row { name: "state name too long", text: format!("{{\"StartAt\": \"{long}\", \"States\": {{\"{long}\": «{{\"Type\": \"Succeed\"}}}}}}"), express: false,
            expect: vec![("INVALID_STATE_NAME", Box::leak(format!("/States/{long}").into_boxed_str()), Some(Box::leak(format!("/States/{long}").into_boxed_str())),
                Box::leak(format!("Invalid State name: '{long}' must be between 1 and 80 characters").into_boxed_str()))] },
        Row { name: "too deeply nested", text: deep, express: false,
            expect: vec![("TOO_DEEPLY_NESTED", deep_pointer, Some(deep_location), "The states are too deeply nested")] },
        // State types and fields.
        row("unknown Type", &one("{\"Type\": «\"Pas\", \"End\": true}"),
            &[(S, "/States/A/Type", Some("/States/A/Type"), "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]")]),
        row("missing Type", &one("«{\"End\": true}"), &[(S, "/States/A", Some("/States/A"), "These fields are required: [Type]")]),
        row("unknown state field", &one("«{\"Type\": \"Pass\", \"End\": true, \"Foo\": 1}"), &[(S, "/States/A", Some("/States/A"), "Field 'Foo' is not supported")]),
        row("Next on a Succeed state", &one("«{\"Type\": \"Succeed\", \"Next\": \"A\"}"), &[(S, "/States/A", Some("/States/A"), "Field 'Next' is not supported")]),
        row("Next and End", &one("«{\"Type\": \"Pass\", \"End\": true, \"Next\": \"A\"}"), &[(S, "/States/A", Some("/States/A"), "These fields are mutually exclusive: [Next, End]")]),
        row("neither Next nor End", "{\"StartAt\": \"A\", \"States\": »{\"A\": «{\"Type\": \"Pass\"}}}",
            &[(S, "/States/A", Some("/States/A"), "Exactly one of these fields is required: [Next, End]"),
              ("MISSING_END_STATE", "/States", None, "Workflow has no terminal state")]),
        row("Comment not a string", &one("{\"Type\": \"Succeed\", \"Comment\": «1}"), &[(S, "/States/A/Comment", Some("/States/A/Comment"), "Expected value of type [STRING]")]),
        // Query languages.
        row("JSONata field in a JSONPath state", &one("«{\"Type\": \"Pass\", \"End\": true, \"Output\": {}}"),
            &[(S, "/States/A", Some("/States/A"), "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage")]),
        row("JSONPath field in a JSONata state", &one("«{\"Type\": \"Pass\", \"QueryLanguage\": \"JSONata\", \"End\": true, \"InputPath\": \"$\"}"),
            &[(S, "/States/A", Some("/States/A"), "The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage")]),
        row("JSONPath state in a JSONata machine", "{\"QueryLanguage\": \"JSONata\", \"StartAt\": \"A\", \"States\": {\"A\": «{\"Type\": \"Pass\", \"QueryLanguage\": \"JSONPath\", \"End\": true, \"InputPath\": \"$\"}}}",
            &[(S, "/States/A", Some("/States/A"), "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")]),
        row("QueryLanguage neither name", &one("{\"Type\": \"Pass\", \"End\": true, \"QueryLanguage\": «\"jsonata\", \"Output\": 1}"),
            &[(S, "/States/A/QueryLanguage", Some("/States/A/QueryLanguage"), "Value should be one of the following: [JSONPath, JSONata]")]),
        // Wait and Fail.
        row("Wait with two durations", &one("«{\"Type\": \"Wait\", \"Seconds\": 1, \"Timestamp\": \"2016-03-14T01:59:00Z\", \"End\": true}"),
            &[(S, "/States/A", Some("/States/A"), "These fields are mutually exclusive: [Seconds, Timestamp]")]),
        row("Wait without a duration", &one("«{\"Type\": \"Wait\", \"End\": true}"),
            &[(S, "/States/A", Some("/States/A"), "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]")]),
        row("Wait Timestamp not RFC 3339", &one("{\"Type\": \"Wait\", \"Timestamp\": «\"2016-03-14 01:59:00Z\", \"End\": true}"),
            &[(S, "/States/A/Timestamp", Some("/States/A/Timestamp"), "String does not match RFC3339 timestamp")]),
        row("Wait Seconds negative", &one("{\"Type\": \"Wait\", \"Seconds\": «-1, \"End\": true}"),
            &[(S, "/States/A/Seconds", Some("/States/A/Seconds"), "Value should be greater than or equal to 0")]),
        row("Fail with Error and ErrorPath", &one("«{\"Type\": \"Fail\", \"Error\": \"E\", \"ErrorPath\": \"$.e\"}"),
            &[(S, "/States/A", Some("/States/A"), "These fields are mutually exclusive: [Error, ErrorPath]")]),
        // Task.
        row("Task without Resource", &one("«{\"Type\": \"Task\", \"End\": true}"), &[(S, "/States/A", Some("/States/A"), "These fields are required: [Resource]")]),
        row("Resource not an ARN", &one("{\"Type\": \"Task\", \"Resource\": «\"lambda\", \"End\": true}"),
            &[(S, "/States/A/Resource", Some("/States/A/Resource"), "Value is not a valid resource ARN")]),
        // An integration Step Functions does not know: an action, a service, or a pattern its
        // table does not list for that service (DynamoDB has no `.sync`, Lambda no `.sync`,
        // SDK integrations no `.sync`).
        row("Unknown optimized action", &one("{\"Type\": \"Task\", \"Resource\": «\"arn:aws:states:::lambda:invok\", \"End\": true}"),
            &[(S, "/States/A/Resource", Some("/States/A/Resource"), "The resource provided arn:aws:states:::lambda:invok not recognized. The value is not a valid resource ARN, or the resource is not available in this region.")]),
        row("Unknown integration service", &one("{\"Type\": \"Task\", \"Resource\": «\"arn:aws:states:::nosuch:doIt\", \"End\": true}"),
            &[(S, "/States/A/Resource", Some("/States/A/Resource"), "The resource provided arn:aws:states:::nosuch:doIt not recognized. …")]),
        row("Pattern the service lacks", &one("{\"Type\": \"Task\", \"Resource\": «\"arn:aws:states:::dynamodb:getItem.sync\", \"End\": true}"),
            &[(S, "/States/A/Resource", Some("/States/A/Resource"), "The resource provided arn:aws:states:::dynamodb:getItem.sync not recognized. …")]),
        row("SDK integration with .sync", &one("{\"Type\": \"Task\", \"Resource\": «\"arn:aws:states:::aws-sdk:s3:getObject.sync\", \"End\": true}"),
            &[(S, "/States/A/Resource", Some("/States/A/Resource"), "The resource provided arn:aws:states:::aws-sdk:s3:getObject.sync not recognized. …")]),
        row("Known integrations and patterns", &one("{\"Type\": \"Parallel\", \"End\": true, \"Branches\": [{\"StartAt\": \"L\", \"States\": {\"L\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::lambda:invoke.waitForTaskToken\", \"Next\": \"S\"}, \"S\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::states:startExecution.sync:2\", \"Next\": \"D\"}, \"D\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::aws-sdk:dynamodb:getItem.waitForTaskToken\", \"Next\": \"G\"}, \"G\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::glue:startJobRun.sync\", \"Next\": \"F\"}, \"F\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:lambda:us-east-1:111111111111:function:f\", \"End\": true}}}]}"), &[]),
        row("TimeoutSeconds zero", &task("\"TimeoutSeconds\": «0"), &[(S, "/States/A/TimeoutSeconds", Some("/States/A/TimeoutSeconds"), "Value should be greater than or equal to 1")]),
        row("TimeoutSeconds and TimeoutSecondsPath", &one("«{\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::lambda:invoke\", \"End\": true, \"TimeoutSeconds\": 5, \"TimeoutSecondsPath\": \"$.t\"}"),
            &[(S, "/States/A", Some("/States/A"), "These fields are mutually exclusive: [TimeoutSeconds, TimeoutSecondsPath]")]),
        row("HeartbeatSeconds not below TimeoutSeconds", &task("\"TimeoutSeconds\": 10, \"HeartbeatSeconds\": «10"),
            &[(S, "/States/A/HeartbeatSeconds", Some("/States/A/HeartbeatSeconds"), "The value of 'HeartbeatSeconds' must be smaller than the value of 'TimeoutSeconds'")]),
        row("Credentials without RoleArn", &task("\"Credentials\": «{}"),
            &[(S, "/States/A/Credentials", Some("/States/A/Credentials"), "The field 'RoleArn' is required but was missing")]),
        Row { name: "activity in an Express machine", express: true,
            text: one("{\"Type\": \"Task\", \"Resource\": «\"arn:aws:states:us-east-1:111111111111:activity:x\", \"End\": true}"),
            expect: vec![(S, "/States/A/Resource", Some("/States/A/Resource"), "Express state machine does not support Activity ARN")] },
        Row { name: "callback in an Express machine", express: true,
            text: one("{\"Type\": \"Task\", \"Resource\": «\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\", \"End\": true}"),
            expect: vec![(S, "/States/A/Resource", Some("/States/A/Resource"), "Express state machine does not support '.waitForTaskToken' service integration ")] },
        // Retry and Catch.
        row("Retry IntervalSeconds zero", &task("\"Retry\": [{\"ErrorEquals\": [\"E\"], \"IntervalSeconds\": «0}]"),
            &[(S, "/States/A/Retry/0/IntervalSeconds", Some("/States/A/Retry[0]/IntervalSeconds"), "Value should be greater than or equal to 1")]),
        row("Retry MaxAttempts negative", &task("\"Retry\": [{\"ErrorEquals\": [\"E\"], \"MaxAttempts\": «-1}]"),
            &[(S, "/States/A/Retry/0/MaxAttempts", Some("/States/A/Retry[0]/MaxAttempts"), "Value should be greater than or equal to 0")]),
        row("Retry BackoffRate below one", &task("\"Retry\": [{\"ErrorEquals\": [\"E\"], \"BackoffRate\": «0.5}]"),
            &[(S, "/States/A/Retry/0/BackoffRate", Some("/States/A/Retry[0]/BackoffRate"), "Value should be greater than or equal to 1")]),
        row("Retry MaxDelaySeconds zero", &task("\"Retry\": [{\"ErrorEquals\": [\"E\"], \"MaxDelaySeconds\": «0}]"),
            &[(S, "/States/A/Retry/0/MaxDelaySeconds", Some("/States/A/Retry[0]/MaxDelaySeconds"), "Value should be greater than or equal to 1")]),
        row("Retry JitterStrategy", &task("\"Retry\": [{\"ErrorEquals\": [\"E\"], \"JitterStrategy\": «\"SOME\"}]"),
            &[(S, "/States/A/Retry/0/JitterStrategy", Some("/States/A/Retry[0]/JitterStrategy"), "Value should be one of the following: [FULL, NONE]")]),
        row("States.ALL before another retrier", &task("\"Retry\": [{\"ErrorEquals\": «[\"States.ALL\"]}, {\"ErrorEquals\": [\"E\"]}]"),
            &[(S, "/States/A/Retry/0/ErrorEquals", Some("/States/A/Retry[0]/ErrorEquals"), "States.ALL must appear alone and at end of list")]),
        row("States.ALL with other errors", &task("\"Catch\": [{\"ErrorEquals\": «[\"E\", \"States.ALL\"], \"Next\": \"A\"}]"),
            &[(S, "/States/A/Catch/0/ErrorEquals", Some("/States/A/Catch[0]/ErrorEquals"), "States.ALL must appear alone and at end of list")]),
        row("empty ErrorEquals", &task("\"Retry\": [{\"ErrorEquals\": «[]}]"),
            &[(S, "/States/A/Retry/0/ErrorEquals", Some("/States/A/Retry[0]/ErrorEquals"), "Value cannot be empty")]),
        row("Catch without Next", &task("\"Catch\": [«{\"ErrorEquals\": [\"E\"]}]"),
            &[(S, "/States/A/Catch/0", Some("/States/A/Catch[0]"), "These fields are required: [Next]")]),
        row("unknown Catch field", &task("\"Catch\": [«{\"ErrorEquals\": [\"E\"], \"Next\": \"A\", \"_comment\": \"x\"}]"),
            &[(S, "/States/A/Catch/0", Some("/States/A/Catch[0]"), "Field '_comment' is not supported")]),
        // Choice.
        row("empty Choices", &choice("«[]", ""), &[(S, "/States/A/Choices", Some("/States/A/Choices"), "Value cannot be empty"),
            (T, "/States/B", Some("/States/B"), "State \"B\" is not reachable.")]),
        row("two comparison operators", &choice("[«{\"Variable\": \"$.x\", \"IsPresent\": true, \"IsNull\": false, \"Next\": \"B\"}]", ""),
            &[(S, "/States/A/Choices/0", Some("/States/A/Choices[0]"), "There should only be one of the following fields: [StringEquals, StringEqualsPath, …")]),
        row("rule without a test", &choice("[«{\"Next\": \"B\"}]", ""),
            &[(S, "/States/A/Choices/0", Some("/States/A/Choices[0]"), "The object must have only one of the following fields, [And, Or, Not, Variable, Condition]")]),
        row("empty And", &choice("[{\"And\": «[], \"Next\": \"B\"}]", ""),
            &[(S, "/States/A/Choices/0/And", Some("/States/A/Choices[0]/And"), "Value cannot be empty")]),
        row("Next inside Not", &choice("[{\"Not\": «{\"Variable\": \"$.x\", \"IsPresent\": true, \"Next\": \"B\"}, \"Next\": \"B\"}]", ""),
            &[(S, "/States/A/Choices/0/Not", Some("/States/A/Choices[0]/Not"), "Field 'Next' is not supported")]),
        row("comparison with the wrong operand type", &choice("[{\"Variable\": \"$.x\", \"NumericEquals\": «\"1\", \"Next\": \"B\"}]", ""),
            &[(S, "/States/A/Choices/0/NumericEquals", Some("/States/A/Choices[0]/NumericEquals"), "Expected value of type [NUMBER]")]),
        row("Choice rule without Next", &choice("[«{\"Variable\": \"$.x\", \"IsPresent\": true}]", ""),
            &[(S, "/States/A/Choices/0", Some("/States/A/Choices[0]"), "These fields are required: [Next]"),
              (T, "/States/B", Some("/States/B"), "State \"B\" is not reachable.")]),
        row("JSONata rule without Condition", &choice("[«{\"Next\": \"B\"}]", " \"QueryLanguage\": \"JSONata\","),
            &[(S, "/States/A/Choices/0", Some("/States/A/Choices[0]"), "These fields are required: [Condition]")]),
        row("Variable in a JSONata rule", &choice("[«{\"Variable\": \"$.x\", \"Condition\": true, \"Next\": \"B\"}]", " \"QueryLanguage\": \"JSONata\","),
            &[(S, "/States/A/Choices/0", Some("/States/A/Choices[0]"), "The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for the 'JSONPath' QueryLanguage")]),
        // Parallel and Map.
        row("empty Branches", &one("{\"Type\": \"Parallel\", \"End\": true, \"Branches\": «[]}"),
            &[(S, "/States/A/Branches", Some("/States/A/Branches"), "Value cannot be empty")]),
        row("branch without StartAt", &one("{\"Type\": \"Parallel\", \"End\": true, \"Branches\": [«{\"States\": {\"X\": {\"Type\": \"Succeed\"}}}]}"),
            &[(S, "/States/A/Branches/0", Some("/States/A/Branches[0]"), "These fields are required: [StartAt]")]),
        row("Map without ItemProcessor", &one("«{\"Type\": \"Map\", \"End\": true}"),
            &[(S, "/States/A", Some("/States/A"), "These fields are required: [ItemProcessor]")]),
        row("Map MaxConcurrency negative", &map("\"MaxConcurrency\": «-1,", ""),
            &[(S, "/States/M/MaxConcurrency", Some("/States/M/MaxConcurrency"), "Value should be greater than or equal to 0")]),
        row("Map ToleratedFailurePercentage above 100", &map("\"ToleratedFailurePercentage\": «101,", ""),
            &[(S, "/States/M/ToleratedFailurePercentage", Some("/States/M/ToleratedFailurePercentage"), "Value should be less than or equal to 100")]),
        row("ProcessorConfig Mode", &map("", "\"ProcessorConfig\": {\"Mode\": «\"PARALLEL\"},"),
            &[(S, "/States/M/ItemProcessor/ProcessorConfig/Mode", Some("/States/M/ItemProcessor/ProcessorConfig/Mode"), "Value should be one of the following: [INLINE, DISTRIBUTED]")]),
        row("DISTRIBUTED without ExecutionType", &map("", "\"ProcessorConfig\": «{\"Mode\": \"DISTRIBUTED\"},"),
            &[(S, "/States/M/ItemProcessor/ProcessorConfig", Some("/States/M/ItemProcessor/ProcessorConfig"), "These fields are required: [ExecutionType]")]),
        row("invalid Map Label", &map("\"Label\": «\"my label\",", "\"ProcessorConfig\": {\"Mode\": \"DISTRIBUTED\", \"ExecutionType\": \"STANDARD\"},"),
            &[("INVALID_LABEL_NAME", "/States/M/Label", Some("/States/M/Label"), "Invalid label name: 'my label'")]),
        row("ItemReader without Resource", &map("\"ItemReader\": «{\"ReaderConfig\": {}},", "\"ProcessorConfig\": {\"Mode\": \"DISTRIBUTED\", \"ExecutionType\": \"STANDARD\"},"),
            &[(S, "/States/M/ItemReader", Some("/States/M/ItemReader"), "The field 'Resource' is required but was missing")]),
        row("ItemReader resource", &map("\"ItemReader\": {\"Resource\": «\"arn:aws:states:::s3:putObject\"},", "\"ProcessorConfig\": {\"Mode\": \"DISTRIBUTED\", \"ExecutionType\": \"STANDARD\"},"),
            &[(S, "/States/M/ItemReader/Resource", Some("/States/M/ItemReader/Resource"), "The field 'Resource' does not match any of the allowed values. Examples: [arn:<partition>:states:::s3:getObject, arn:<partition>:states:::s3:listObjectsV2]")]),
        Row { name: "DISTRIBUTED Map in an Express machine", express: true,
            text: map("", "\"ProcessorConfig\": {\"Mode\": «\"DISTRIBUTED\", \"ExecutionType\": \"EXPRESS\"},"),
            expect: vec![(S, "/States/M/ItemProcessor/ProcessorConfig/Mode", Some("/States/M/ItemProcessor/ProcessorConfig/Mode"),
                "The field 'Mode' with value 'DISTRIBUTED' is not supported inside 'EXPRESS' state machines")] },
        // Paths, templates, JSONata and variables.
        row("InputPath not a path", &one("{\"Type\": \"Pass\", \"End\": true, \"InputPath\": «\"foo\"}"),
            &[(S, "/States/A/InputPath", Some("/States/A/InputPath"), "Value must be a valid JSONPath.")]),
        row("ResultPath not a reference path", &one("{\"Type\": \"Pass\", \"End\": true, \"ResultPath\": «\"foo\"}"),
            &[(S, "/States/A/ResultPath", Some("/States/A/ResultPath"), "Value is not a Reference Path: Reference path didn't start with '$'")]),
        row("Parameters not an object", &one("{\"Type\": \"Pass\", \"End\": true, \"Parameters\": «[1]}"),
            &[(S, "/States/A/Parameters", Some("/States/A/Parameters"), "Expected value of type [OBJECT]")]),
        row("payload template value not a path", &one("{\"Type\": \"Pass\", \"End\": true, \"Parameters\": {\"in\": «{\"x.$\": \"foo\"}}}"),
            &[(S, "/States/A/Parameters/in", Some("/States/A/Parameters/in"), "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call")]),
        row("intrinsic with an illegal escape", &one("{\"Type\": \"Pass\", \"End\": true, \"Parameters\": «{\"x.$\": \"States.Format('a\\\\\\\"b')\"}}"),
            &[(S, "/States/A/Parameters", Some("/States/A/Parameters"), "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call")]),
        row("Choice Variable not a path", &choice("[{\"Variable\": «\"x\", \"IsPresent\": true, \"Next\": \"B\"}]", ""),
            &[(S, "/States/A/Choices/0/Variable", Some("/States/A/Choices[0]/Variable"), "Value is not a Reference Path: Reference path didn't start with '$'")]),
        row("unterminated JSONata", &one("{\"Type\": \"Pass\", \"QueryLanguage\": \"JSONata\", \"End\": true, \"Output\": {\"a\": «\"{% $x\"}}"),
            &[(S, "/States/A/Output/a", Some("/States/A/Output/a"), "JSONata string must start with {% and end with %}")]),
        row("JSONata syntax error", &one("{\"Type\": \"Pass\", \"QueryLanguage\": \"JSONata\", \"End\": true, \"Output\": «\"{% 1 + %}\"}"),
            &[("INVALID_JSONATA_EXPRESSION", "/States/A/Output", Some("/States/A/Output"), "Unexpected end of expression")]),
        row("assigning $states", &one("{\"Type\": \"Pass\", \"End\": true, \"Assign\": «{\"states\": 1}}"),
            &[("RESERVED_VARIABLE_NAME", "/States/A/Assign", Some("/States/A/Assign"), "Cannot assign to reserved variable '$states'.")]),
        row("invalid variable name", &one("{\"Type\": \"Pass\", \"End\": true, \"Assign\": «{\"1abc.$\": \"$.x\"}}"),
            &[("INVALID_VARIABLE_NAME", "/States/A/Assign", Some("/States/A/Assign"), "Invalid variable name '1abc': the variable name contains invalid characters.")]),
    ]
}

/// Removes the markers and returns the text and the (line, column) of each marker, in
/// marker order (`«` first, `»` second).
fn strip_markers(text: &str) -> (String, Vec<(u32, u32)>) {
    let mut out = String::new();
    let mut at: [Option<(u32, u32)>; 2] = [None, None];
    let (mut line, mut col) = (1u32, 1u32);
    for c in text.chars() {
        match c {
            '«' => at[0] = Some((line, col)),
            '»' => at[1] = Some((line, col)),
            _ => {
                out.push(c);
                if c == '\n' {
                    line += 1;
                    col = 1;
                } else {
                    col += 1;
                }
            }
        }
    }
    (out, at.into_iter().flatten().collect())
}

fn matches(
    d: &Diagnostic,
    want: &(&str, &str, Option<&str>, &str),
    pos: Option<(u32, u32)>,
) -> bool {
    let (code, pointer, location, message) = *want;
    let message_ok = match message.strip_suffix('…') {
        Some(prefix) => d.message.starts_with(prefix),
        None => d.message == message,
    };
    d.code == code
        && d.pointer == pointer
        && d.location.as_deref() == location
        && message_ok
        && pos.is_none_or(|p| (d.line, d.column) == p)
        && d.severity == Severity::Error
}

#[test]
fn each_rule_gives_its_diagnostic() {
    let mut failures = Vec::new();
    for r in rows() {
        let (text, positions) = strip_markers(&r.text);
        let machine_type = if r.express {
            MachineType::Express
        } else {
            MachineType::Standard
        };
        let diags = validate_text(&text, false, &Options { machine_type });
        let ok = diags.len() == r.expect.len()
            && diags
                .iter()
                .zip(&r.expect)
                .enumerate()
                .all(|(i, (d, w))| matches(d, w, positions.get(i).copied()));
        if !ok {
            failures.push(format!(
                "{}\n  text: {text}\n  want: {:?} at {:?}\n  got:  {:#?}",
                r.name, r.expect, positions, diags
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn each_warning_is_a_warning() {
    let rows = [
        (
            one("{\"Type\": \"Pass\", \"End\": true, \"Parameters\": {\"a\": «\"$.x\"}}"),
            "NO_DOLLAR",
            "/States/A/Parameters/a",
            "The value of the field 'a' looks like a JSONPath or an intrinsic function, but the field name does not end with '.$'",
        ),
        (
            one("{\"Type\": \"Fail\", \"Cause\": «\"$.cause\"}"),
            "NO_PATH",
            "/States/A/Cause",
            "The value of the field 'Cause' looks like a path, but the field name does not end with 'Path'",
        ),
        (
            one("{\"Type\": \"Pass\", \"End\": true, \"Result\": {\"a.$\": «\"$.x\"}}"),
            "PASS_RESULT_IS_STATIC",
            "/States/A/Result/a.$",
            "The field 'a.$' is in a Pass state's 'Result', which is not evaluated: use 'Parameters' to select values with a path",
        ),
    ];
    for (marked, code, pointer, message) in rows {
        let (text, at) = strip_markers(&marked);
        let diags = validate_text(&text, false, &Options::default());
        let want = (code, pointer, Some(pointer), message);
        assert!(
            diags.len() == 1
                && diags.iter().all(|d| d.severity == Severity::Warning
                    && matches(
                        &Diagnostic {
                            severity: Severity::Error,
                            ..d.clone()
                        },
                        &want,
                        at.first().copied()
                    )),
            "{text}: {diags:#?}"
        );
        assert_eq!(invalid_definition_message(&diags), None);
    }
}

#[test]
fn invalid_definition_message_quotes_each_error() {
    let d = |code: &'static str, loc: Option<&str>, msg: &str| Diagnostic {
        code,
        severity: Severity::Error,
        pointer: String::new(),
        location: loc.map(str::to_string),
        line: 1,
        column: 1,
        message: msg.to_string(),
    };
    let warning = Diagnostic {
        severity: Severity::Warning,
        ..d("NO_DOLLAR", Some("/States/A"), "w")
    };
    let cases: Vec<(Vec<Diagnostic>, Option<&str>)> = vec![
        (vec![], None),
        (vec![warning.clone()], None),
        (
            vec![d("SCHEMA_VALIDATION_FAILED", Some("/States/A/Next"), "m")],
            Some("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: m at /States/A/Next'"),
        ),
        (
            vec![d("MISSING_END_STATE", None, "Workflow has no terminal state")],
            Some("Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"),
        ),
        (
            vec![
                d("MISSING_TRANSITION_TARGET", Some("/States/pass1/Next"), "Missing 'Next' target: pass3"),
                warning,
                d("MISSING_TRANSITION_TARGET", Some("/States/pass2"), "State \"pass2\" is not reachable."),
            ],
            Some(
                "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: \
                 pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not \
                 reachable. at /States/pass2'",
            ),
        ),
    ];
    for (diags, want) in cases {
        assert_eq!(invalid_definition_message(&diags).as_deref(), want);
    }
}

#[test]
fn a_lone_state_is_checked_without_its_transitions() {
    use baton_asl::parse::parse;
    use baton_asl::validate::validate_state;
    let rows: [(&str, Vec<(&str, &str)>); 3] = [
        ("{\"Type\": \"Pass\", \"Next\": \"Elsewhere\"}", vec![]),
        (
            "{\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::lambda:invoke\", \"End\": true, \
             \"Catch\": [{\"ErrorEquals\": [\"States.ALL\"], \"Next\": \"Handler\"}], \"Foo\": 1}",
            vec![("SCHEMA_VALIDATION_FAILED", "Field 'Foo' is not supported")],
        ),
        ("[]", vec![("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")]),
    ];
    for (text, want) in rows {
        let doc = parse(text, false).unwrap_or_else(|d| panic!("{text}: {d:?}"));
        let diags = validate_state(&doc, &Options::default());
        let got: Vec<(&str, &str)> = diags.iter().map(|d| (d.code, d.message.as_str())).collect();
        assert_eq!(got, want, "{text}");
    }
}
