//! A distributed Map's `ResultWriter` over local buckets: the child executions' results, one
//! file per status, and a manifest naming the files.
//!
//! Layout, as the developer guide describes it ("ResultWriter (Map)"): under
//! `<Prefix>/<map run id>/`, `SUCCEEDED_0.json`, `FAILED_0.json` and `PENDING_0.json` (only
//! those with results), and `manifest.json`:
//! `{"DestinationBucket", "MapRunArn", "ResultFiles": {"FAILED": [], "PENDING": [],
//! "SUCCEEDED": [{"Key", "Size"}]}}`. A file holds a JSON array (`OutputType` `JSON`) or one
//! result per line (`JSONL`). Every failure is `States.ResultWriterFailed`; when S3 failed,
//! the cause is S3's.

use baton_engine::ResultExport;
use serde_json::{json, Map, Value};

use super::error::S3Error;
use super::objects::{Bucket, Headers, WriteCondition};
use super::Failure;

const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";

/// The order AWS lists the files in, and the statuses a child can end in.
const STATUSES: [&str; 3] = ["SUCCEEDED", "FAILED", "PENDING"];

fn failed(cause: impl Into<String>) -> Failure {
    (RESULT_WRITER_FAILED.to_string(), cause.into())
}

fn s3_failed(e: S3Error) -> Failure {
    let (_, cause) = e.into_failure();
    failed(cause)
}

/// Writes `export` into the bucket named by `arguments` (`Bucket`, optional `Prefix`) under
/// `root`; answers `ResultWriterDetails`: `{"Bucket", "Key"}` of the manifest.
pub(crate) fn write_results(
    root: &std::path::Path,
    arguments: &Value,
    export: &ResultExport,
) -> Result<Value, Failure> {
    let text = |name: &str| -> Result<Option<&str>, Failure> {
        match arguments.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(failed(format!(
                "The ResultWriter field '{name}' must be a string."
            ))),
        }
    };
    let bucket_name =
        text("Bucket")?.ok_or_else(|| failed("The ResultWriter field 'Bucket' is required."))?;
    let prefix = text("Prefix")?.unwrap_or_default().trim_end_matches('/');
    let bucket = Bucket::open(root, bucket_name).map_err(s3_failed)?;
    let run_id = export
        .map_run_arn
        .rsplit(':')
        .next()
        .unwrap_or(&export.map_run_arn);
    let folder = if prefix.is_empty() {
        run_id.to_string()
    } else {
        format!("{prefix}/{run_id}")
    };
    let lines = export.output_type == "JSONL";
    let mut files = Map::new();
    for status in STATUSES {
        let of_status: Vec<&Value> = export
            .results
            .iter()
            .filter(|r| r.status == status)
            .map(|r| &r.value)
            .collect();
        let mut listed = Vec::new();
        if !of_status.is_empty() {
            let body = if lines {
                let mut body = String::new();
                for value in &of_status {
                    body.push_str(&value.to_string());
                    body.push('\n');
                }
                body.into_bytes()
            } else {
                serde_json::to_vec(&of_status).expect("JSON values serialize")
            };
            let key = format!("{folder}/{status}_0.json");
            put(&bucket, &key, &body)?;
            listed.push(json!({"Key": key, "Size": body.len()}));
        }
        files.insert(status.to_string(), Value::Array(listed));
    }
    let manifest = json!({
        "DestinationBucket": bucket_name,
        "MapRunArn": export.map_run_arn,
        "ResultFiles": files,
    });
    let key = format!("{folder}/manifest.json");
    put(&bucket, &key, manifest.to_string().as_bytes())?;
    Ok(json!({"Bucket": bucket_name, "Key": key}))
}

fn put(bucket: &Bucket, key: &str, body: &[u8]) -> Result<(), Failure> {
    let headers = Headers {
        content_type: Some("application/json".into()),
        ..Headers::default()
    };
    bucket
        .write(key, body, headers, &WriteCondition::default())
        .map(|_| ())
        .map_err(s3_failed)
}
