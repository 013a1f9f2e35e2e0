//! The Map state: its item processor (`ItemProcessor`, or the older `Iterator`) and
//! `ProcessorConfig`, items and their selection, concurrency and tolerated failures, and the
//! Distributed Map's `ItemReader`, `ItemBatcher`, `ResultWriter` and `Label`.

use serde_json::{Map, Value};

use super::ctx::{exclusive, list, only, require, Ctx, Loc, Ql, INVALID_LABEL_NAME};
use super::fields::{wrong_language, Lang};
use super::machine::check_sub_machine;
use super::{syntax, values};

/// Characters a Map `Label` cannot hold (besides white space and control characters).
const LABEL_FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
const MAX_LABEL: usize = 40;

pub(super) fn check_map(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    ql: Ql,
    depth: usize,
) {
    let processor_key = match (
        obj.contains_key("ItemProcessor"),
        obj.contains_key("Iterator"),
    ) {
        (true, true) => {
            exclusive(cx, obj, loc, &["ItemProcessor", "Iterator"]);
            "ItemProcessor"
        }
        (false, false) => {
            require(cx, obj, loc, &["ItemProcessor"]);
            ""
        }
        (true, false) => "ItemProcessor",
        (false, true) => "Iterator",
    };
    if let Some(processor) = obj.get(processor_key) {
        let at = loc.key(processor_key);
        processor_config(cx, processor, &at);
        check_sub_machine(
            cx,
            processor,
            &at,
            &["StartAt", "States", "Comment", "ProcessorConfig"],
            depth,
        );
    }
    exclusive(cx, obj, loc, &["ItemSelector", "Parameters"]);
    exclusive(cx, obj, loc, &["MaxConcurrency", "MaxConcurrencyPath"]);
    exclusive(
        cx,
        obj,
        loc,
        &[
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
        ],
    );
    exclusive(
        cx,
        obj,
        loc,
        &["ToleratedFailureCount", "ToleratedFailureCountPath"],
    );
    values::integer_or_expr(cx, obj, loc, "MaxConcurrency", ql, 0, i64::MAX);
    values::number_or_expr(cx, obj, loc, "ToleratedFailurePercentage", ql, 0.0, 100.0);
    values::integer_or_expr(
        cx,
        obj,
        loc,
        "ToleratedFailureCount",
        ql,
        0,
        i64::from(i32::MAX),
    );
    match ql {
        Ql::JsonPath => {
            for key in [
                "ItemsPath",
                "MaxConcurrencyPath",
                "ToleratedFailurePercentagePath",
                "ToleratedFailureCountPath",
            ] {
                syntax::value_path_field(cx, obj, loc, key);
            }
            syntax::payload_template_field(cx, obj, loc, "ItemSelector");
        }
        Ql::Jsonata => {
            if let Some(items) = obj.get("Items") {
                let at = loc.key("Items");
                match items {
                    Value::Array(_) => syntax::jsonata_value(cx, items, &at),
                    Value::String(_) => syntax::jsonata_string(cx, items, &at),
                    _ => cx.wrong_type(&at, "ARRAY"),
                }
            }
            if let Some(v) = obj.get("ItemSelector") {
                syntax::jsonata_value(cx, v, &loc.key("ItemSelector"));
            }
        }
    }
    if let Some(label) = values::string(cx, obj, loc, "Label") {
        check_label(cx, label, &loc.key("Label"));
    }
    item_reader(cx, obj, loc, ql);
    item_batcher(cx, obj, loc, ql);
    result_writer(cx, obj, loc, ql);
}

/// `ProcessorConfig`: the mode, and the type of child executions of a Distributed Map.
fn processor_config(cx: &mut Ctx<'_>, processor: &Value, at: &Loc) {
    let Value::Object(processor) = processor else {
        return;
    };
    let Some(config) = values::object(cx, processor, at, "ProcessorConfig") else {
        return;
    };
    let config_at = at.key("ProcessorConfig");
    only(cx, config, &config_at, &["Mode", "ExecutionType"]);
    let mode = values::enumeration(cx, config, &config_at, "Mode", &["INLINE", "DISTRIBUTED"]);
    if mode == Some("DISTRIBUTED") {
        require(cx, config, &config_at, &["ExecutionType"]);
        if cx.express() {
            cx.schema(
                &config_at.key("Mode"),
                "The field 'Mode' with value 'DISTRIBUTED' is not supported inside 'EXPRESS' state \
                 machines"
                    .to_string(),
            );
        }
    } else if config.contains_key("ExecutionType") {
        cx.schema(
            &config_at,
            "Field 'ExecutionType' is not supported".to_string(),
        );
    }
    values::enumeration(
        cx,
        config,
        &config_at,
        "ExecutionType",
        &["STANDARD", "EXPRESS"],
    );
}

fn check_label(cx: &mut Ctx<'_>, label: &str, at: &Loc) {
    let bad_char = label.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || LABEL_FORBIDDEN.contains(c)
    });
    let len = label.encode_utf16().count();
    if bad_char || len == 0 || len > MAX_LABEL {
        cx.error(
            INVALID_LABEL_NAME,
            at,
            format!("Invalid label name: '{label}'"),
        );
    }
}

/// `Parameters` in JSONPath, `Arguments` in JSONata: the payload of a reader or writer call.
fn call_payload(cx: &mut Ctx<'_>, obj: &Map<String, Value>, at: &Loc, ql: Ql) {
    for (key, lang) in [("Parameters", Lang::JsonPath), ("Arguments", Lang::Jsonata)] {
        if obj.contains_key(key) {
            wrong_language(cx, at, key, lang, ql);
        }
    }
    match ql {
        Ql::JsonPath => syntax::payload_template_field(cx, obj, at, "Parameters"),
        Ql::Jsonata => {
            if let Some(v) = obj.get("Arguments") {
                syntax::jsonata_value(cx, v, &at.key("Arguments"));
            }
        }
    }
}

/// A reader or writer resource: one of the S3 integrations it allows
/// (`arn:<partition>:states:::s3:<action>`).
fn s3_resource(cx: &mut Ctx<'_>, resource: &str, at: &Loc, actions: &[&str]) {
    let allowed = resource
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(':'))
        .and_then(|(_, rest)| rest.strip_prefix("states:::s3:"))
        .is_some_and(|action| actions.contains(&action));
    if !allowed {
        let examples: Vec<String> = actions
            .iter()
            .map(|a| format!("arn:<partition>:states:::s3:{a}"))
            .collect();
        cx.schema(
            at,
            format!(
                "The field 'Resource' does not match any of the allowed values. Examples: [{}]",
                examples.join(", ")
            ),
        );
    }
}

fn item_reader(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    let Some(reader) = values::object(cx, obj, loc, "ItemReader") else {
        return;
    };
    let at = loc.key("ItemReader");
    only(
        cx,
        reader,
        &at,
        &["Resource", "ReaderConfig", "Parameters", "Arguments"],
    );
    if !reader.contains_key("Resource") {
        cx.schema(
            &at,
            "The field 'Resource' is required but was missing".to_string(),
        );
    }
    if let Some(resource) = values::string(cx, reader, &at, "Resource") {
        s3_resource(
            cx,
            resource,
            &at.key("Resource"),
            &["getObject", "listObjectsV2"],
        );
    }
    call_payload(cx, reader, &at, ql);
    let Some(config) = values::object(cx, reader, &at, "ReaderConfig") else {
        return;
    };
    let config_at = at.key("ReaderConfig");
    only(
        cx,
        config,
        &config_at,
        &[
            "InputType",
            "CSVHeaderLocation",
            "CSVHeaders",
            "CSVDelimiter",
            "MaxItems",
            "MaxItemsPath",
            "ManifestType",
        ],
    );
    if let Some(v) = config.get("InputType") {
        const INPUT_TYPES: [&str; 5] = ["MANIFEST", "JSON", "CSV", "JSONL", "PARQUET"];
        if !v.as_str().is_some_and(|t| INPUT_TYPES.contains(&t)) {
            cx.schema(
                &config_at.key("InputType"),
                format!(
                    "The field 'InputType' should have one of these values: {}",
                    list(&INPUT_TYPES)
                ),
            );
        }
    }
    let header = values::enumeration(
        cx,
        config,
        &config_at,
        "CSVHeaderLocation",
        &["FIRST_ROW", "GIVEN"],
    );
    if header == Some("GIVEN") {
        require(cx, config, &config_at, &["CSVHeaders"]);
    }
    if let Some(headers) = values::array(cx, config, &config_at, "CSVHeaders", false) {
        for (i, h) in headers.iter().enumerate() {
            if !h.is_string() {
                cx.wrong_type(&config_at.key("CSVHeaders").index(i), "STRING");
            }
        }
    }
    values::enumeration(
        cx,
        config,
        &config_at,
        "CSVDelimiter",
        &["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"],
    );
    values::enumeration(
        cx,
        config,
        &config_at,
        "ManifestType",
        &["ATHENA_DATA", "S3_INVENTORY", "CSV"],
    );
    exclusive(cx, config, &config_at, &["MaxItems", "MaxItemsPath"]);
    values::integer_or_expr(cx, config, &config_at, "MaxItems", ql, 0, 100_000_000);
    if ql == Ql::JsonPath {
        syntax::value_path_field(cx, config, &config_at, "MaxItemsPath");
    } else if config.contains_key("MaxItemsPath") {
        wrong_language(cx, &config_at, "MaxItemsPath", Lang::JsonPath, ql);
    }
}

fn item_batcher(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    let Some(batcher) = values::object(cx, obj, loc, "ItemBatcher") else {
        return;
    };
    let at = loc.key("ItemBatcher");
    only(
        cx,
        batcher,
        &at,
        &[
            "MaxItemsPerBatch",
            "MaxItemsPerBatchPath",
            "MaxInputBytesPerBatch",
            "MaxInputBytesPerBatchPath",
            "BatchInput",
        ],
    );
    exclusive(
        cx,
        batcher,
        &at,
        &["MaxItemsPerBatch", "MaxItemsPerBatchPath"],
    );
    exclusive(
        cx,
        batcher,
        &at,
        &["MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"],
    );
    values::integer_or_expr(
        cx,
        batcher,
        &at,
        "MaxItemsPerBatch",
        ql,
        1,
        i64::from(i32::MAX),
    );
    values::integer_or_expr(cx, batcher, &at, "MaxInputBytesPerBatch", ql, 1, 262_144);
    for key in ["MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"] {
        if ql == Ql::JsonPath {
            syntax::value_path_field(cx, batcher, &at, key);
        } else if batcher.contains_key(key) {
            wrong_language(cx, &at, key, Lang::JsonPath, ql);
        }
    }
    match ql {
        Ql::JsonPath => syntax::payload_template_field(cx, batcher, &at, "BatchInput"),
        Ql::Jsonata => {
            if let Some(v) = batcher.get("BatchInput") {
                syntax::jsonata_value(cx, v, &at.key("BatchInput"));
            }
        }
    }
}

fn result_writer(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    let Some(writer) = values::object(cx, obj, loc, "ResultWriter") else {
        return;
    };
    let at = loc.key("ResultWriter");
    only(
        cx,
        writer,
        &at,
        &["Resource", "Parameters", "Arguments", "WriterConfig"],
    );
    if let Some(resource) = values::string(cx, writer, &at, "Resource") {
        s3_resource(cx, resource, &at.key("Resource"), &["putObject"]);
    }
    call_payload(cx, writer, &at, ql);
    if let Some(config) = values::object(cx, writer, &at, "WriterConfig") {
        let config_at = at.key("WriterConfig");
        only(cx, config, &config_at, &["OutputType", "Transformation"]);
        values::enumeration(cx, config, &config_at, "OutputType", &["JSON", "JSONL"]);
        values::enumeration(
            cx,
            config,
            &config_at,
            "Transformation",
            &["NONE", "COMPACT", "FLATTEN"],
        );
    }
}
