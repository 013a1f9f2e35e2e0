//! A Distributed Map's `ItemReader`: the items a Map state iterates, read from one object (a
//! JSON array, JSON Lines, CSV, Parquet), from the files an S3 Inventory manifest or an Athena
//! data manifest lists, or from a bucket listing, on either backend ([`Storage::get_bytes`],
//! [`Storage::list`]).
//!
//! Shapes follow the Step Functions developer guide ("ItemReader (Map)"): a listing item is
//! `{"Etag", "Key", "LastModified" (epoch seconds), "Size", "StorageClass"}`; a CSV row is an
//! object from header to text value. Every failure is `States.ItemReaderFailed`, AWS's name
//! for "the Map state could not read from the item source"; when S3 failed, the cause is S3's.

use serde_json::{json, Map, Value};

use super::error::S3Error;
use super::objects;
use super::{off_thread, Failure, Storage};

/// The largest object an item reader reads.
const MAX_SOURCE_BYTES: u64 = 1024 * 1024 * 1024;

const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";

fn failed(cause: impl Into<String>) -> Failure {
    (ITEM_READER_FAILED.to_string(), cause.into())
}

fn s3_failed(e: S3Error) -> Failure {
    let (_, cause) = e.into_failure();
    failed(cause)
}

/// Reads the items of an `ItemReader` from `storage`.
///
/// * `resource` — the reader's `Resource`: `arn:aws:states:::s3:getObject` or
///   `arn:aws:states:::s3:listObjectsV2` (or just the action name).
/// * `arguments` — its evaluated `Parameters`/`Arguments`: `Bucket` and `Key` for getObject,
///   `Bucket` and optionally `Prefix` for listObjectsV2.
/// * `reader_config` — its `ReaderConfig`, with `MaxItemsPath` already resolved into
///   `MaxItems`: `InputType` (`JSON`, `JSONL`, `CSV`, `PARQUET`, `MANIFEST` for an S3 Inventory
///   manifest; required for getObject), `ManifestType` (`S3_INVENTORY` with `MANIFEST` or
///   `CSV`; `ATHENA_DATA`: the object is an Athena manifest listing `s3://` data files, each read
///   as `InputType` says, `CSV`, `JSONL` or `PARQUET`),
///   `CSVHeaderLocation` (`FIRST_ROW`, the default, or `GIVEN` with `CSVHeaders`),
///   `CSVDelimiter` (`COMMA` default, `PIPE`, `SEMICOLON`, `SPACE`, `TAB`), `MaxItems` (0 or
///   absent: all).
pub(crate) async fn read_items(
    storage: &Storage,
    resource: &str,
    arguments: &Value,
    reader_config: &Value,
) -> Result<Vec<Value>, Failure> {
    let action = resource.rsplit(':').next().unwrap_or(resource);
    let config = match reader_config {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(failed("The ReaderConfig must be a JSON object.")),
    };
    let text_arg = |name: &str| -> Result<Option<String>, Failure> {
        match arguments.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(failed(format!(
                "The ItemReader field '{name}' must be a string."
            ))),
        }
    };
    let bucket =
        text_arg("Bucket")?.ok_or_else(|| failed("The ItemReader field 'Bucket' is required."))?;
    let input_type = config.get("InputType").and_then(Value::as_str);
    let max_items = match config.get("MaxItems") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(0) => None,
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => return Err(failed("MaxItems must be a non-negative integer.")),
        },
    };
    let manifest_type = config.get("ManifestType").and_then(Value::as_str);
    let mut items = match (action, manifest_type, input_type) {
        ("getObject", Some("ATHENA_DATA"), Some(kind @ ("CSV" | "JSONL" | "PARQUET"))) => {
            let key = text_arg("Key")?
                .ok_or_else(|| failed("The ItemReader field 'Key' is required."))?;
            athena(storage, &bucket, &key, kind, &config, max_items).await?
        }
        ("getObject", Some("ATHENA_DATA"), other) => {
            return Err(failed(format!(
                "An ATHENA_DATA manifest lists CSV, JSONL or PARQUET files, not InputType {}.",
                other.unwrap_or("(none)")
            )))
        }
        ("getObject", Some("S3_INVENTORY") | None, Some("MANIFEST"))
        | ("getObject", Some("S3_INVENTORY"), Some("CSV")) => {
            let key = text_arg("Key")?
                .ok_or_else(|| failed("The ItemReader field 'Key' is required."))?;
            inventory(storage, &bucket, &key).await?
        }
        (_, Some(other), _) if other != "S3_INVENTORY" && other != "ATHENA_DATA" => {
            return Err(failed(format!("Unknown ManifestType '{other}'.")))
        }
        (_, Some(other), _) => {
            return Err(failed(format!(
                "A {other} manifest is read with getObject and a matching InputType."
            )))
        }
        ("listObjectsV2", None, None) => {
            let prefix = text_arg("Prefix")?.unwrap_or_default();
            listing(storage, &bucket, &prefix).await?
        }
        ("getObject", None, Some(kind @ ("JSON" | "JSONL" | "CSV" | "PARQUET"))) => {
            let key = text_arg("Key")?
                .ok_or_else(|| failed("The ItemReader field 'Key' is required."))?;
            data_file(storage, &bucket, &key, kind, &config, max_items).await?
        }
        ("getObject", None, None) => {
            return Err(failed(
                "ReaderConfig.InputType is required to read items from an object.",
            ))
        }
        (action, None, input_type) => {
            return Err(failed(format!(
                "Baton does not read items with {action} and InputType {}.",
                input_type.unwrap_or("(none)")
            )))
        }
    };
    if let Some(max) = max_items {
        items.truncate(max);
    }
    Ok(items)
}

/// An item source's bytes (up to [`MAX_SOURCE_BYTES`]).
async fn fetch(storage: &Storage, bucket: &str, key: &str) -> Result<Vec<u8>, Failure> {
    storage
        .get_bytes(bucket, key, MAX_SOURCE_BYTES)
        .await
        .map_err(s3_failed)
}

/// The items of one object (`kind`: `JSON`, `JSONL`, `CSV` or `PARQUET`), up to `max`.
async fn data_file(
    storage: &Storage,
    bucket: &str,
    key: &str,
    kind: &str,
    config: &Map<String, Value>,
    max: Option<usize>,
) -> Result<Vec<Value>, Failure> {
    let bytes = fetch(storage, bucket, key).await?;
    let (kind, key, config) = (kind.to_string(), key.to_string(), config.clone());
    off_thread(move || match kind.as_str() {
        "PARQUET" => super::parquet::rows(bytes, max)
            .map_err(|e| failed(format!("The object '{key}' is {e}."))),
        _ => parse_object(&kind, &bytes, &key, &config),
    })
    .await
    .map_err(s3_failed)?
}

/// The items of the data files an Athena manifest lists (`UNLOAD` writes one: a text file with
/// one `s3://bucket/key` per line), each read as `kind`, in the manifest's order, up to `max`.
async fn athena(
    storage: &Storage,
    bucket: &str,
    key: &str,
    kind: &str,
    config: &Map<String, Value>,
    max: Option<usize>,
) -> Result<Vec<Value>, Failure> {
    let bytes = fetch(storage, bucket, key).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| failed(format!("The manifest '{key}' is not UTF-8 text: {e}.")))?;
    let mut files = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_matches('"');
        if line.is_empty() {
            continue;
        }
        let location = line
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .filter(|(b, k)| !b.is_empty() && !k.is_empty());
        let Some((file_bucket, file_key)) = location else {
            return Err(failed(format!(
                "Line {} of the manifest '{key}' is not an s3://bucket/key location.",
                i + 1
            )));
        };
        files.push((file_bucket.to_string(), file_key.to_string()));
    }
    let mut items = Vec::new();
    for (file_bucket, file_key) in files {
        let left = max.map(|m| m.saturating_sub(items.len()));
        if left == Some(0) {
            break;
        }
        let rows = data_file(storage, &file_bucket, &file_key, kind, config, left).await?;
        items.extend(rows);
    }
    Ok(items)
}

/// The items of one object's text (`kind`: `JSON`, `JSONL` or `CSV`).
fn parse_object(
    kind: &str,
    bytes: &[u8],
    key: &str,
    config: &Map<String, Value>,
) -> Result<Vec<Value>, Failure> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| failed(format!("The object '{key}' is not UTF-8 text: {e}.")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match kind {
        "JSON" => json_array(text, key),
        "JSONL" => json_lines(text, key),
        _ => csv_rows(text, key, config),
    }
}

/// The objects an S3 Inventory report lists: its `manifest.json` (`fileFormat` CSV, `fileSchema`
/// naming the columns, `files` in `destinationBucket`), then each listed file, gzipped or not.
/// One item per row, from column name to text value (`{"Bucket", "Key", "Size", …}`).
async fn inventory(storage: &Storage, bucket: &str, key: &str) -> Result<Vec<Value>, Failure> {
    let bytes = fetch(storage, bucket, key).await?;
    let manifest: Value = serde_json::from_slice(&bytes)
        .map_err(|e| failed(format!("The manifest '{key}' is not valid JSON: {e}.")))?;
    let field = |name: &str| manifest.get(name).and_then(Value::as_str);
    match field("fileFormat") {
        Some("CSV") => {}
        other => {
            return Err(failed(format!(
                "The manifest '{key}' has fileFormat {}; only CSV inventories can be read.",
                other.unwrap_or("(none)")
            )))
        }
    }
    let schema: Vec<String> = field("fileSchema")
        .ok_or_else(|| failed(format!("The manifest '{key}' has no fileSchema.")))?
        .split(',')
        .map(|c| c.trim().to_string())
        .collect();
    let destination = field("destinationBucket")
        .map(|b| b.strip_prefix("arn:aws:s3:::").unwrap_or(b))
        .unwrap_or(bucket)
        .to_string();
    let files = manifest
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| failed(format!("The manifest '{key}' lists no files.")))?;
    let mut items = Vec::new();
    for file in files {
        let file_key = file
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| failed(format!("A file of the manifest '{key}' has no key.")))?
            .to_string();
        let bytes = fetch(storage, &destination, &file_key).await?;
        let schema = schema.clone();
        let rows = off_thread(move || inventory_rows(&schema, bytes, &file_key))
            .await
            .map_err(s3_failed)??;
        items.extend(rows);
    }
    Ok(items)
}

/// The rows of one inventory file, gzipped or not.
fn inventory_rows(
    schema: &[String],
    bytes: Vec<u8>,
    file_key: &str,
) -> Result<Vec<Value>, Failure> {
    let bytes = if file_key.ends_with(".gz") {
        gunzip(&bytes)
            .map_err(|e| failed(format!("The inventory file '{file_key}' is not gzip: {e}.")))?
    } else {
        bytes
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        failed(format!(
            "The inventory file '{file_key}' is not UTF-8: {e}."
        ))
    })?;
    let rows = parse_csv(text, ',').map_err(|e| failed(format!("{e} in '{file_key}'.")))?;
    rows_as_items(schema, rows, file_key)
}

/// Each row as an object from column name to text value; a row of another width fails.
fn rows_as_items(
    headers: &[String],
    rows: Vec<Vec<String>>,
    key: &str,
) -> Result<Vec<Value>, Failure> {
    let mut items = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        if row.len() != headers.len() {
            return Err(failed(format!(
                "Row {} of '{key}' has {} fields but there are {} headers.",
                i + 1,
                row.len(),
                headers.len()
            )));
        }
        let item: Map<String, Value> = headers
            .iter()
            .cloned()
            .zip(row.into_iter().map(Value::String))
            .collect();
        items.push(Value::Object(item));
    }
    Ok(items)
}

/// Decompresses gzip, refusing more than [`MAX_SOURCE_BYTES`].
fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_SOURCE_BYTES {
        return Err(std::io::Error::other("it holds more than 1 GiB"));
    }
    Ok(out)
}

/// Every object under `prefix`, described as the Distributed Map describes listed objects.
async fn listing(storage: &Storage, bucket: &str, prefix: &str) -> Result<Vec<Value>, Failure> {
    let objects = storage.list(bucket, prefix).await.map_err(s3_failed)?;
    Ok(objects
        .into_iter()
        .map(|o| {
            let (secs, _) = objects::epoch_parts(o.last_modified);
            json!({
                "Etag": o.etag,
                "Key": o.key,
                "LastModified": secs,
                "Size": o.size,
                "StorageClass": o.storage_class,
            })
        })
        .collect())
}

fn json_array(text: &str, key: &str) -> Result<Vec<Value>, Failure> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(failed(format!(
            "The object '{key}' does not hold a JSON array."
        ))),
        Err(e) => Err(failed(format!(
            "The object '{key}' is not valid JSON: {e}."
        ))),
    }
}

fn json_lines(text: &str, key: &str) -> Result<Vec<Value>, Failure> {
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let item = serde_json::from_str(line).map_err(|e| {
            failed(format!(
                "Line {} of the object '{key}' is not valid JSON: {e}.",
                i + 1
            ))
        })?;
        items.push(item);
    }
    Ok(items)
}

fn csv_rows(text: &str, key: &str, config: &Map<String, Value>) -> Result<Vec<Value>, Failure> {
    let delimiter = match config.get("CSVDelimiter").and_then(Value::as_str) {
        None | Some("COMMA") => ',',
        Some("PIPE") => '|',
        Some("SEMICOLON") => ';',
        Some("SPACE") => ' ',
        Some("TAB") => '\t',
        Some(other) => return Err(failed(format!("Unknown CSVDelimiter '{other}'."))),
    };
    let mut rows = parse_csv(text, delimiter).map_err(|e| failed(format!("{e} in '{key}'.")))?;
    let headers: Vec<String> = match config.get("CSVHeaderLocation").and_then(Value::as_str) {
        None | Some("FIRST_ROW") => {
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            rows.remove(0)
        }
        Some("GIVEN") => match config.get("CSVHeaders") {
            Some(Value::Array(names)) => names
                .iter()
                .map(|n| n.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| failed("CSVHeaders must be strings."))?,
            _ => return Err(failed("CSVHeaderLocation GIVEN needs CSVHeaders.")),
        },
        Some(other) => return Err(failed(format!("Unknown CSVHeaderLocation '{other}'."))),
    };
    rows_as_items(&headers, rows, key)
}

/// RFC 4180 CSV: fields split at `delimiter`, `"` quoting with `""` for a quote, records ended
/// by LF or CRLF; blank lines are skipped.
pub(crate) fn parse_csv(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut quoted = false; // the current field was quoted
    let mut line = 1usize;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            '"' => return Err(format!("Unexpected quote on line {line}")),
            c if c == delimiter => {
                row.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                if !row.is_empty() || !field.is_empty() || quoted {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                quoted = false;
            }
            c if quoted => {
                return Err(format!(
                    "Unexpected character {c:?} after a quoted field on line {line}"
                ))
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err("Unterminated quoted field".to_string());
    }
    if !row.is_empty() || !field.is_empty() || quoted {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn csv_quoting() {
        let rows = parse_csv("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\n\n3,\n", ',').unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["a".to_string(), "b".to_string()],
                vec!["x,1".to_string(), "say \"hi\"".to_string()],
                vec!["3".to_string(), String::new()],
            ]
        );
        assert!(parse_csv("\"open", ',').is_err());
        assert!(parse_csv("a\"b", ',').is_err());
    }

    #[test]
    fn url_encoding_round_trips() {
        let key = "a b/ü%+.txt";
        let encoded = crate::storage::list::url_encode(key);
        assert_eq!(encoded, "a+b/%C3%BC%25%2B.txt");
        assert_eq!(
            crate::storage::list::url_decode("a%20b/%C3%BC").as_deref(),
            Some("a b/ü")
        );
    }
}
