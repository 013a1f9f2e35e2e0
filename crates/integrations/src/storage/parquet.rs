//! Parquet files as Distributed Map items (`InputType: PARQUET`): one item per row, an object
//! from column name to value, read with the `parquet` crate's row API (no Arrow).
//!
//! Values become JSON as the crate's `Row::to_json_value` makes them: integers and floats as
//! numbers, strings as strings, booleans, nulls, lists as arrays, groups and maps as objects,
//! dates and timestamps as text, binary as base64. Compression: uncompressed, Snappy, GZIP
//! and LZ4 (Athena writes GZIP by default, Spark Snappy).

use bytes::Bytes;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;

/// The rows of a Parquet file, up to `max` (`None`: all).
pub(crate) fn rows(bytes: Vec<u8>, max: Option<usize>) -> Result<Vec<Value>, String> {
    let reader = SerializedFileReader::new(Bytes::from(bytes))
        .map_err(|e| format!("not a Parquet file: {e}"))?;
    let total = reader.metadata().file_metadata().num_rows();
    let wanted = usize::try_from(total.max(0)).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(max.map_or(wanted, |m| m.min(wanted)));
    let iter = reader
        .get_row_iter(None)
        .map_err(|e| format!("cannot read the Parquet rows: {e}"))?;
    for row in iter {
        if max.is_some_and(|m| out.len() >= m) {
            break;
        }
        let row = row.map_err(|e| format!("cannot read a Parquet row: {e}"))?;
        out.push(row.to_json_value());
    }
    Ok(out)
}
