//! Distributed Map item readers over local buckets: JSON arrays, JSON Lines, CSV with headers,
//! Parquet, object listings, S3 Inventory and Athena manifests; and result writers: the files
//! per status and the manifest.

mod support;

use std::fs;
use support::block_on;

use std::sync::Arc;

use baton_integrations::storage::Storage;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde_json::{json, Value};

fn storage() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::new(dir.path().join("buckets"));
    block_on(storage.create_bucket("bucket-name")).unwrap();
    (dir, storage)
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write(s: &Storage, key: &str, content: impl AsRef<[u8]>) {
    let path = s.local_root().unwrap().join("bucket-name").join(key);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn items(
    s: &Storage,
    resource: &str,
    args: Value,
    config: Value,
) -> Result<Vec<Value>, (String, String)> {
    block_on(s.item_reader(resource, &args, &config))
}

#[test]
fn item_reader_json_jsonl_csv() {
    let (_dir, s) = storage();
    write(&s, "items.json", "[1, {\"a\": 2}, \"three\"]");
    write(&s, "items.jsonl", "{\"a\":1}\n\n{\"a\":2}\r\n");
    write(
        &s,
        "items.csv",
        "\u{feff}name,qty\r\nbolt,3\n\"nut, hex\",\"1\"\n",
    );
    write(&s, "items.tsv", "bolt\t3\nnut\t1\n");
    write(&s, "ragged.csv", "a,b\n1\n");
    let get = "arn:aws:states:::s3:getObject";
    let obj = |key: &str| json!({"Bucket": "bucket-name", "Key": key});
    assert_eq!(
        items(&s, get, obj("items.json"), json!({"InputType": "JSON"})).unwrap(),
        vec![json!(1), json!({"a": 2}), json!("three")]
    );
    assert_eq!(
        items(&s, get, obj("items.jsonl"), json!({"InputType": "JSONL"})).unwrap(),
        vec![json!({"a": 1}), json!({"a": 2})]
    );
    assert_eq!(
        items(
            &s,
            get,
            obj("items.csv"),
            json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
        )
        .unwrap(),
        vec![
            json!({"name": "bolt", "qty": "3"}),
            json!({"name": "nut, hex", "qty": "1"})
        ]
    );
    assert_eq!(
        items(
            &s,
            get,
            obj("items.tsv"),
            json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["part", "n"], "CSVDelimiter": "TAB", "MaxItems": 1})
        )
        .unwrap(),
        vec![json!({"part": "bolt", "n": "3"})]
    );
    for (key, config) in [
        ("items.jsonl", json!({"InputType": "JSON"})),
        ("items.json", json!({})),
        ("missing.json", json!({"InputType": "JSON"})),
        ("ragged.csv", json!({"InputType": "CSV"})),
        ("items.json", json!({"InputType": "MANIFEST"})),
    ] {
        let e = items(&s, get, obj(key), config.clone()).unwrap_err();
        assert_eq!(e.0, "States.ItemReaderFailed", "{key} {config}: {e:?}");
    }
    let e = items(&s, get, obj("missing.json"), json!({"InputType": "JSON"})).unwrap_err();
    assert!(
        e.1.starts_with("The specified key does not exist. (Service: S3, Status Code: 404"),
        "{e:?}"
    );
}

#[test]
fn item_reader_listing() {
    let (_dir, s) = storage();
    for i in 0..3 {
        write(&s, &format!("images/{i}.jpg"), "jpg");
    }
    write(&s, "other", "x");
    let out = items(
        &s,
        "arn:aws:states:::s3:listObjectsV2",
        json!({"Bucket": "bucket-name", "Prefix": "images/"}),
        json!({}),
    )
    .unwrap();
    assert_eq!(out.len(), 3);
    let first = &out[0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    );
    assert_eq!(first["Key"], "images/0.jpg");
    assert_eq!(first["Etag"], format!("\"{}\"", md5_hex(b"jpg")));
    assert!(first["LastModified"].is_u64());
    assert_eq!(
        (first["Size"].clone(), first["StorageClass"].clone()),
        (json!(3), json!("STANDARD"))
    );
    let all = items(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name"}),
        json!({"MaxItems": 2}),
    )
    .unwrap();
    assert_eq!(all.len(), 2);
    let e = items(&s, "listObjectsV2", json!({"Bucket": "nope"}), json!({})).unwrap_err();
    assert_eq!(e.0, "States.ItemReaderFailed");
}

fn export(output_type: &str) -> baton_engine::ResultExport {
    use baton_engine::ChildResult;
    baton_engine::ResultExport {
        map_run_arn: "arn:aws:states:us-east-1:123456789012:mapRun:m/L:run-1".into(),
        output_type: output_type.into(),
        results: vec![
            ChildResult {
                status: "SUCCEEDED",
                value: json!({"n": 1}),
            },
            ChildResult {
                status: "FAILED",
                value: json!({"Status": "FAILED"}),
            },
            ChildResult {
                status: "SUCCEEDED",
                value: json!({"n": 2}),
            },
        ],
    }
}

fn read_json(s: &Storage, key: &str) -> Value {
    serde_json::from_slice(
        &fs::read(s.local_root().unwrap().join("bucket-name").join(key)).unwrap(),
    )
    .unwrap()
}

#[test]
fn result_writer_files_per_status_and_a_manifest() {
    let (_dir, s) = storage();
    let details = block_on(s.result_writer(
        &json!({"Bucket": "bucket-name", "Prefix": "out/"}),
        &export("JSON"),
    ))
    .unwrap();
    assert_eq!(
        details,
        json!({"Bucket": "bucket-name", "Key": "out/run-1/manifest.json"})
    );
    let manifest = read_json(&s, "out/run-1/manifest.json");
    let succeeded = fs::read(
        s.local_root()
            .unwrap()
            .join("bucket-name/out/run-1/SUCCEEDED_0.json"),
    )
    .unwrap();
    assert_eq!(
        manifest,
        json!({"DestinationBucket": "bucket-name",
            "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/L:run-1",
            "ResultFiles": {
                "SUCCEEDED": [{"Key": "out/run-1/SUCCEEDED_0.json", "Size": succeeded.len()}],
                "FAILED": [{"Key": "out/run-1/FAILED_0.json", "Size": 21}],
                "PENDING": []}})
    );
    assert_eq!(
        read_json(&s, "out/run-1/SUCCEEDED_0.json"),
        json!([{"n": 1}, {"n": 2}])
    );
    assert_eq!(
        read_json(&s, "out/run-1/FAILED_0.json"),
        json!([{"Status": "FAILED"}])
    );

    // JSON Lines, and no prefix: the files sit under the map run's id.
    let details =
        block_on(s.result_writer(&json!({"Bucket": "bucket-name"}), &export("JSONL"))).unwrap();
    assert_eq!(details["Key"], "run-1/manifest.json");
    let lines = fs::read_to_string(
        s.local_root()
            .unwrap()
            .join("bucket-name/run-1/SUCCEEDED_0.json"),
    )
    .unwrap();
    assert_eq!(lines, "{\"n\":1}\n{\"n\":2}\n");
}

#[test]
fn result_writer_failures_are_result_writer_failed() {
    let (_dir, s) = storage();
    for args in [
        json!({"Bucket": "no-such-bucket", "Prefix": "p"}),
        json!({"Prefix": "p"}),
        json!({"Bucket": "bucket-name", "Prefix": "../escape"}),
        json!({"Bucket": "bucket-name", "Prefix": 5}),
    ] {
        let (error, cause) = block_on(s.result_writer(&args, &export("JSON"))).unwrap_err();
        assert_eq!(error, "States.ResultWriterFailed", "{args}: {cause}");
        assert!(!cause.is_empty());
    }
    assert!(!s.local_root().unwrap().join("escape").exists());
}

#[test]
fn item_reader_s3_inventory_manifest() {
    use std::io::Write;
    let (_dir, s) = storage();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"\"bucket-name\",\"a.txt\",\"3\"\n\"bucket-name\",\"b, c.txt\",\"5\"\n")
        .unwrap();
    let path = s
        .local_root()
        .unwrap()
        .join("bucket-name/inventory/data/one.csv.gz");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, gz.finish().unwrap()).unwrap();
    write(&s, "inventory/data/two.csv", "bucket-name,d.txt,8\n");
    write(
        &s,
        "inventory/manifest.json",
        json!({"sourceBucket": "bucket-name", "destinationBucket": "arn:aws:s3:::bucket-name",
            "version": "2016-11-30", "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size",
            "files": [{"key": "inventory/data/one.csv.gz", "size": 60},
                      {"key": "inventory/data/two.csv", "size": 20}]})
        .to_string(),
    );
    let args = json!({"Bucket": "bucket-name", "Key": "inventory/manifest.json"});
    let got = items(
        &s,
        "arn:aws:states:::s3:getObject",
        args.clone(),
        json!({"InputType": "MANIFEST"}),
    )
    .unwrap();
    assert_eq!(
        got,
        vec![
            json!({"Bucket": "bucket-name", "Key": "a.txt", "Size": "3"}),
            json!({"Bucket": "bucket-name", "Key": "b, c.txt", "Size": "5"}),
            json!({"Bucket": "bucket-name", "Key": "d.txt", "Size": "8"}),
        ]
    );
    let two = items(
        &s,
        "arn:aws:states:::s3:getObject",
        args,
        json!({"InputType": "MANIFEST", "MaxItems": 2}),
    )
    .unwrap();
    assert_eq!(two.len(), 2);

    // Not CSV, or a listed file missing: States.ItemReaderFailed.
    write(
        &s,
        "orc.json",
        json!({"fileFormat": "ORC", "fileSchema": "x", "files": []}).to_string(),
    );
    write(
        &s,
        "gone.json",
        json!({"fileFormat": "CSV", "fileSchema": "Bucket, Key",
        "files": [{"key": "nothing.csv.gz"}]})
        .to_string(),
    );
    for key in ["orc.json", "gone.json"] {
        let e = items(
            &s,
            "arn:aws:states:::s3:getObject",
            json!({"Bucket": "bucket-name", "Key": key}),
            json!({"InputType": "MANIFEST"}),
        )
        .unwrap_err();
        assert_eq!(e.0, "States.ItemReaderFailed", "{key}: {e:?}");
    }
}

/// A Parquet file of `(id, name, price)` rows, written with the parquet crate's low-level
/// writer (`price` optional), compressed with `compression`.
fn parquet_file(rows: &[(i64, &str, Option<f64>)], compression: Compression) -> Vec<u8> {
    let schema = Arc::new(
        parse_message_type(
            "message item { REQUIRED INT64 id; REQUIRED BYTE_ARRAY name (UTF8); OPTIONAL DOUBLE price; }",
        )
        .unwrap(),
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(compression)
            .build(),
    );
    let mut out = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut out, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    column
        .typed::<Int64Type>()
        .write_batch(&ids, None, None)
        .unwrap();
    column.close().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    let names: Vec<ByteArray> = rows.iter().map(|r| ByteArray::from(r.1)).collect();
    column
        .typed::<ByteArrayType>()
        .write_batch(&names, None, None)
        .unwrap();
    column.close().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    let prices: Vec<f64> = rows.iter().filter_map(|r| r.2).collect();
    let levels: Vec<i16> = rows.iter().map(|r| i16::from(r.2.is_some())).collect();
    column
        .typed::<DoubleType>()
        .write_batch(&prices, Some(&levels), None)
        .unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();
    out
}

#[test]
fn item_reader_parquet_rows() {
    let (_dir, s) = storage();
    let rows = [
        (1, "bolt", Some(0.25)),
        (2, "nut", None),
        (3, "washer", Some(0.5)),
    ];
    write(
        &s,
        "items.parquet",
        parquet_file(&rows, Compression::SNAPPY),
    );
    write(
        &s,
        "plain.parquet",
        parquet_file(&rows[..1], Compression::UNCOMPRESSED),
    );
    write(&s, "not.parquet", "id,name\n1,bolt\n");
    let get = "arn:aws:states:::s3:getObject";
    let obj = |key: &str| json!({"Bucket": "bucket-name", "Key": key});
    assert_eq!(
        items(
            &s,
            get,
            obj("items.parquet"),
            json!({"InputType": "PARQUET"})
        )
        .unwrap(),
        vec![
            json!({"id": 1, "name": "bolt", "price": 0.25}),
            json!({"id": 2, "name": "nut", "price": null}),
            json!({"id": 3, "name": "washer", "price": 0.5}),
        ]
    );
    assert_eq!(
        items(
            &s,
            get,
            obj("items.parquet"),
            json!({"InputType": "PARQUET", "MaxItems": 2})
        )
        .unwrap()
        .len(),
        2
    );
    assert_eq!(
        items(
            &s,
            get,
            obj("plain.parquet"),
            json!({"InputType": "PARQUET"})
        )
        .unwrap(),
        vec![json!({"id": 1, "name": "bolt", "price": 0.25})]
    );
    let (error, cause) =
        items(&s, get, obj("not.parquet"), json!({"InputType": "PARQUET"})).unwrap_err();
    assert_eq!(error, "States.ItemReaderFailed");
    assert!(
        cause.contains("not.parquet") && cause.contains("Parquet"),
        "{cause}"
    );
}

#[test]
fn item_reader_athena_data_manifest() {
    let (_dir, s) = storage();
    let first = [(1, "bolt", Some(0.25)), (2, "nut", None)];
    let second = [(3, "washer", Some(0.5))];
    let files: [(&str, Vec<u8>); 9] = [
        (
            "unload/part-0.parquet",
            parquet_file(&first, Compression::GZIP(Default::default())),
        ),
        (
            "unload/part-1.parquet",
            parquet_file(&second, Compression::SNAPPY),
        ),
        (
            "unload/q-manifest.csv",
            b"s3://bucket-name/unload/part-0.parquet\ns3://bucket-name/unload/part-1.parquet\n"
                .to_vec(),
        ),
        ("text/a.csv", b"bolt,3\nnut,1\n".to_vec()),
        ("text/b.csv", b"washer,9\n".to_vec()),
        (
            "text/manifest.csv",
            b"s3://bucket-name/text/a.csv\ns3://bucket-name/text/b.csv".to_vec(),
        ),
        ("json/a.jsonl", b"{\"n\":1}\n{\"n\":2}\n".to_vec()),
        (
            "json/manifest.csv",
            b"s3://bucket-name/json/a.jsonl\n".to_vec(),
        ),
        (
            "bad-manifest.csv",
            b"s3://bucket-name/text/a.csv\nnot-a-location\n".to_vec(),
        ),
    ];
    for (key, content) in files {
        write(&s, key, content);
    }
    let get = "arn:aws:states:::s3:getObject";
    let obj = |key: &str| json!({"Bucket": "bucket-name", "Key": key});
    let athena = |input: &str| json!({"ManifestType": "ATHENA_DATA", "InputType": input});
    assert_eq!(
        items(&s, get, obj("unload/q-manifest.csv"), athena("PARQUET")).unwrap(),
        vec![
            json!({"id": 1, "name": "bolt", "price": 0.25}),
            json!({"id": 2, "name": "nut", "price": null}),
            json!({"id": 3, "name": "washer", "price": 0.5}),
        ]
    );
    let mut limited = athena("PARQUET");
    limited["MaxItems"] = json!(2);
    assert_eq!(
        items(&s, get, obj("unload/q-manifest.csv"), limited)
            .unwrap()
            .len(),
        2
    );
    let mut csv = athena("CSV");
    csv["CSVHeaderLocation"] = json!("GIVEN");
    csv["CSVHeaders"] = json!(["part", "qty"]);
    assert_eq!(
        items(&s, get, obj("text/manifest.csv"), csv).unwrap(),
        vec![
            json!({"part": "bolt", "qty": "3"}),
            json!({"part": "nut", "qty": "1"}),
            json!({"part": "washer", "qty": "9"}),
        ]
    );
    assert_eq!(
        items(&s, get, obj("json/manifest.csv"), athena("JSONL")).unwrap(),
        vec![json!({"n": 1}), json!({"n": 2})]
    );
    let failures = [
        (obj("bad-manifest.csv"), athena("CSV"), "Line 2"),
        (obj("json/manifest.csv"), athena("JSON"), "InputType JSON"),
        (
            obj("json/manifest.csv"),
            json!({"ManifestType": "SOMETHING", "InputType": "CSV"}),
            "SOMETHING",
        ),
    ];
    for (args, config, said) in failures {
        let (error, cause) = items(&s, get, args, config).unwrap_err();
        assert_eq!(error, "States.ItemReaderFailed");
        assert!(cause.contains(said), "{cause}");
    }
}
