//! A distributed Map's `ResultWriter`, on either backend ([`Storage::put_bytes`]): the child
//! executions' results, one file per status, and a manifest naming the files.
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
use super::{off_thread, Failure, Storage};

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

/// Writes `export` into the bucket named by `arguments` (`Bucket`, optional `Prefix`);
/// answers `ResultWriterDetails`: `{"Bucket", "Key"}` of the manifest.
pub(crate) async fn write_results(
    storage: &Storage,
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
    let bucket =
        text("Bucket")?.ok_or_else(|| failed("The ResultWriter field 'Bucket' is required."))?;
    let prefix = text("Prefix")?.unwrap_or_default().trim_end_matches('/');
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
    let files = {
        let (folder, export) = (folder.clone(), export.clone());
        off_thread(move || result_files(&folder, &export))
            .await
            .map_err(s3_failed)?
    };
    let mut listed = Map::new();
    for status in STATUSES {
        listed.insert(status.to_string(), Value::Array(Vec::new()));
    }
    for (status, key, body) in files {
        let size = body.len();
        put(storage, bucket, &key, body).await?;
        if let Some(Value::Array(files)) = listed.get_mut(status) {
            files.push(json!({"Key": key, "Size": size}));
        }
    }
    let manifest = json!({
        "DestinationBucket": bucket,
        "MapRunArn": export.map_run_arn,
        "ResultFiles": listed,
    });
    let key = format!("{folder}/manifest.json");
    put(storage, bucket, &key, manifest.to_string().into_bytes()).await?;
    Ok(json!({"Bucket": bucket, "Key": key}))
}

/// One file per status that has results: its status, key and bytes (a JSON array, or one
/// result per line for `OutputType` `JSONL`).
fn result_files(folder: &str, export: &ResultExport) -> Vec<(&'static str, String, Vec<u8>)> {
    let lines = export.output_type == "JSONL";
    let mut files = Vec::new();
    for status in STATUSES {
        let of_status: Vec<&Value> = export
            .results
            .iter()
            .filter(|r| r.status == status)
            .map(|r| &r.value)
            .collect();
        if of_status.is_empty() {
            continue;
        }
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
        files.push((status, format!("{folder}/{status}_0.json"), body));
    }
    files
}

async fn put(storage: &Storage, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), Failure> {
    storage
        .put_bytes(bucket, key, body, "application/json")
        .await
        .map_err(s3_failed)
}
