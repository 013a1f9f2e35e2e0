//! ListObjectsV2 and ListObjects over local buckets: shapes, pages and continuation tokens,
//! prefixes and delimiters, URL encoding, and what is not an object.

mod support;

use std::fs;
use support::block_on;

use baton_integrations::storage::Storage;
use serde_json::{json, Value};

fn storage() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::new(dir.path().join("buckets"));
    block_on(storage.create_bucket("bucket-name")).unwrap();
    (dir, storage)
}

fn ok(s: &Storage, action: &str, params: Value) -> Value {
    block_on(s.s3_action(action, &params))
        .unwrap_or_else(|e| panic!("{action} {params} failed: {e:?}"))
}

fn err(s: &Storage, action: &str, params: Value) -> (String, String) {
    match block_on(s.s3_action(action, &params)) {
        Ok(v) => panic!("{action} {params} succeeded: {v}"),
        Err(e) => e,
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replaces `LastModified` values so shapes compare exactly.
fn masked(mut v: Value) -> Value {
    if let Some(items) = v.get_mut("Contents").and_then(Value::as_array_mut) {
        for item in items {
            assert!(item["LastModified"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')));
            item["LastModified"] = json!("date");
        }
    }
    v
}

fn write(s: &Storage, key: &str, text: &str) {
    let path = s.local_root().unwrap().join("bucket-name").join(key);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn put_keys(s: &Storage, keys: &[&str]) {
    for key in keys {
        ok(
            s,
            "putObject",
            json!({"Bucket": "bucket-name", "Key": key, "Body": key}),
        );
    }
}

fn listed_keys(page: &Value) -> Vec<String> {
    page.get("Contents")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|o| o["Key"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn listed_prefixes(page: &Value) -> Vec<String> {
    page.get("CommonPrefixes")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|o| o["Prefix"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn list_objects_v2_shape() {
    let (_dir, s) = storage();
    put_keys(&s, &["b", "a"]);
    let out = masked(ok(&s, "listObjectsV2", json!({"Bucket": "bucket-name"})));
    let etag = |k: &str| format!("\"{}\"", md5_hex(format!("\"{k}\"").as_bytes()));
    let expected = json!({
        "Contents": [
            {"ETag": etag("a"), "Key": "a", "LastModified": "date", "Size": 3, "StorageClass": "STANDARD"},
            {"ETag": etag("b"), "Key": "b", "LastModified": "date", "Size": 3, "StorageClass": "STANDARD"}
        ],
        "IsTruncated": false,
        "KeyCount": 2,
        "MaxKeys": 1000,
        "Name": "bucket-name",
        "Prefix": ""
    });
    assert_eq!(out.to_string(), expected.to_string());
    fs::create_dir(s.local_root().unwrap().join("empty-bucket")).unwrap();
    let out = ok(&s, "listObjectsV2", json!({"Bucket": "empty-bucket"}));
    assert_eq!(
        out,
        json!({"IsTruncated": false, "KeyCount": 0, "MaxKeys": 1000, "Name": "empty-bucket", "Prefix": ""})
    );
}

#[test]
fn list_objects_v2_pages() {
    let (_dir, s) = storage();
    let keys: Vec<String> = (0..25).map(|i| format!("data/item-{i:02}.json")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put_keys(&s, &refs);
    put_keys(&s, &["other.txt"]);
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = json!({"Bucket": "bucket-name", "Prefix": "data/", "MaxKeys": 10});
        if let Some(t) = &token {
            params["ContinuationToken"] = json!(t);
        }
        let page = ok(&s, "listObjectsV2", params);
        pages += 1;
        assert_eq!(page["MaxKeys"], 10);
        assert_eq!(page["KeyCount"], listed_keys(&page).len());
        assert_eq!(
            page.get("ContinuationToken").and_then(Value::as_str),
            token.as_deref()
        );
        seen.extend(listed_keys(&page));
        if page["IsTruncated"] == json!(true) {
            token = Some(page["NextContinuationToken"].as_str().unwrap().to_string());
        } else {
            assert!(page.get("NextContinuationToken").is_none());
            break;
        }
    }
    assert_eq!((pages, seen), (3, keys.clone()));

    let page = ok(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "StartAfter": "data/item-22.json"}),
    );
    assert_eq!(
        listed_keys(&page),
        ["data/item-23.json", "data/item-24.json", "other.txt"]
    );
    assert_eq!(page["StartAfter"], "data/item-22.json");

    let page = ok(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "MaxKeys": 0}),
    );
    assert_eq!(
        (page["KeyCount"].clone(), page["IsTruncated"].clone()),
        (json!(0), json!(false))
    );

    let e = err(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "ContinuationToken": "not a token"}),
    );
    assert_eq!(e.0, "S3.S3Exception");
    assert!(e.1.starts_with(
        "The continuation token provided is incorrect (Service: S3, Status Code: 400, "
    ));
    let e = err(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "MaxKeys": -1}),
    );
    assert_eq!(e.0, "S3.S3Exception");
    let e = err(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "MaxKeys": "10"}),
    );
    assert_eq!(e.0, "S3.S3Exception");
}

#[test]
fn list_objects_v2_delimiter() {
    let (_dir, s) = storage();
    put_keys(&s, &["a/1", "a/2", "a/x/3", "a-x", "b/1", "c"]);
    let page = ok(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "Delimiter": "/"}),
    );
    assert_eq!(listed_keys(&page), ["a-x", "c"]);
    assert_eq!(listed_prefixes(&page), ["a/", "b/"]);
    assert_eq!(
        (page["KeyCount"].clone(), page["Delimiter"].clone()),
        (json!(4), json!("/"))
    );

    let page = ok(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "Delimiter": "/", "Prefix": "a/"}),
    );
    assert_eq!(listed_keys(&page), ["a/1", "a/2"]);
    assert_eq!(listed_prefixes(&page), ["a/x/"]);

    let page = ok(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "Prefix": "a"}),
    );
    assert_eq!(
        listed_keys(&page),
        ["a-x", "a/1", "a/2", "a/x/3"],
        "byte order: '-' < '/'"
    );

    // One entry per page: a common prefix counts once and its keys are not listed again.
    let mut entries = Vec::new();
    let mut params = json!({"Bucket": "bucket-name", "Delimiter": "/", "MaxKeys": 1});
    loop {
        let page = ok(&s, "listObjectsV2", params.clone());
        entries.extend(listed_keys(&page));
        entries.extend(listed_prefixes(&page));
        match page.get("NextContinuationToken") {
            Some(t) => params["ContinuationToken"] = t.clone(),
            None => break,
        }
    }
    assert_eq!(entries, ["a-x", "a/", "b/", "c"]);
}

#[test]
fn list_objects_v1_and_url_encoding() {
    let (_dir, s) = storage();
    put_keys(&s, &["a b/1", "a b/2", "z"]);
    let page = ok(
        &s,
        "listObjects",
        json!({"Bucket": "bucket-name", "Delimiter": "/", "MaxKeys": 1}),
    );
    assert_eq!(listed_prefixes(&page), ["a b/"]);
    assert_eq!(
        (page["Marker"].clone(), page["NextMarker"].clone()),
        (json!(""), json!("a b/"))
    );
    let page = ok(
        &s,
        "listObjects",
        json!({"Bucket": "bucket-name", "Delimiter": "/", "Marker": "a b/"}),
    );
    assert_eq!(listed_keys(&page), ["z"]);
    let page = ok(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "EncodingType": "url", "Prefix": "a "}),
    );
    assert_eq!(listed_keys(&page), ["a+b/1", "a+b/2"]);
    assert_eq!(
        (page["Prefix"].clone(), page["EncodingType"].clone()),
        (json!("a+"), json!("url"))
    );
}

#[test]
fn files_that_are_no_valid_keys_are_not_listed() {
    let (_dir, s) = storage();
    write(&s, "ok.txt", "x");
    write(&s, ".baton-tmp-leftover", "partial");
    // Six folders of 200 bytes: a path longer than S3's 1024-byte keys.
    let long = vec!["d".repeat(200); 6].join("/");
    write(&s, &format!("{long}/x"), "x");
    let page = ok(&s, "listObjectsV2", json!({"Bucket": "bucket-name"}));
    assert_eq!(listed_keys(&page), ["ok.txt"]);
}
