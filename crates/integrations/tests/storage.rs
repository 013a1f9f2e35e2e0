//! The `aws-sdk:s3` actions over local buckets: result shapes, listing pages, errors, keys that
//! try to leave their bucket, atomic overwrites, and Distributed Map item readers.

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

fn call(s: &Storage, action: &str, params: Value) -> Result<Value, (String, String)> {
    block_on(s.s3_action(action, &params))
}

fn ok(s: &Storage, action: &str, params: Value) -> Value {
    call(s, action, params.clone()).unwrap_or_else(|e| panic!("{action} {params} failed: {e:?}"))
}

fn err(s: &Storage, action: &str, params: Value) -> (String, String) {
    match call(s, action, params.clone()) {
        Ok(v) => panic!("{action} {params} succeeded: {v}"),
        Err(e) => e,
    }
}

/// Replaces `LastModified` values (checked for their form) so shapes compare exactly.
fn mask_dates(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "LastModified" {
                    let text = v.as_str().expect("LastModified is text");
                    assert!(
                        text.len() == 20 && text.ends_with('Z') && &text[10..11] == "T",
                        "{text}"
                    );
                    *v = json!("date");
                } else {
                    mask_dates(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_dates),
        _ => {}
    }
}

fn masked(mut v: Value) -> Value {
    mask_dates(&mut v);
    v
}

/// `(error, cause)` checked against S3's wording and the SDK's suffix.
fn assert_s3_error(e: &(String, String), name: &str, message: &str, status: u16) {
    assert_eq!(e.0, name, "{e:?}");
    let prefix = format!("{message} (Service: S3, Status Code: {status}, Request ID: ");
    assert!(
        e.1.starts_with(&prefix),
        "{:?} should start with {prefix:?}",
        e.1
    );
    assert!(e.1.contains(", Extended Request ID: ") && e.1.ends_with(')'));
}

fn bucket_dir(s: &Storage) -> std::path::PathBuf {
    s.local_root().unwrap().join("bucket-name")
}

#[test]
fn put_object_stores_the_json_text_of_body_as_aws_does() {
    // Recorded from AWS (aws-recorded-mocked services-s3-put-object-*): the ETag and CRC32 of
    // what Step Functions stored for each Body.
    let cases = [
        (
            json!("text data"),
            "2b5df3712557f503a9977a8ea893b2c9",
            "KUmHvQ==",
        ),
        (json!(0), "cfcd208495d565ef66e7dff9f98764da", "9NvfIQ=="),
        (json!(false), "68934a3e9455fa72420237eb05902327", "K81oMA=="),
        (
            json!(["List", "Data"]),
            "6b23860357f6e63a0272b7f1143a663a",
            "1F2MPA==",
        ),
        (
            json!({"Dict": "Value"}),
            "49e31cee5aec8faf3345893addb14346",
            "hnEfWw==",
        ),
    ];
    let (_dir, s) = storage();
    for (body, md5, crc) in cases {
        let out = ok(
            &s,
            "putObject",
            json!({"Bucket": "bucket-name", "Key": "file-key", "Body": body}),
        );
        assert_eq!(
            out,
            json!({
                "ChecksumCRC32": crc,
                "ChecksumType": "FULL_OBJECT",
                "ETag": format!("\"{md5}\""),
                "ServerSideEncryption": "AES256"
            }),
            "Body {body}"
        );
        let stored = fs::read(bucket_dir(&s).join("file-key")).unwrap();
        assert_eq!(stored, body.to_string().into_bytes());
    }
}

#[test]
fn get_object_of_a_file_put_by_hand_has_aws_shape() {
    let (_dir, s) = storage();
    fs::write(bucket_dir(&s).join("file_key"), "text data").unwrap();
    let out = ok(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "file_key"}),
    );
    // As recorded from AWS (services-s3-get-object-str), member order included.
    let expected = json!({
        "AcceptRanges": "bytes",
        "ContentLength": 9,
        "ContentType": "binary/octet-stream",
        "ETag": "\"332eec544317a6d340b8e77da7fe54ad\"",
        "LastModified": "date",
        "Metadata": {},
        "ServerSideEncryption": "AES256",
        "Body": "text data"
    });
    let out = masked(out);
    assert_eq!(out, expected);
    assert_eq!(out.to_string(), expected.to_string(), "member order");
}

#[test]
fn empty_object() {
    let (_dir, s) = storage();
    fs::write(bucket_dir(&s).join("empty"), "").unwrap();
    let out = ok(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "empty"}),
    );
    assert_eq!(out["ContentLength"], 0);
    assert_eq!(out["ETag"], "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_eq!(out["Body"], "");
}

#[test]
fn headers_and_metadata_round_trip() {
    let (_dir, s) = storage();
    ok(
        &s,
        "putObject",
        json!({
            "Bucket": "bucket-name", "Key": "out/result.json", "Body": {"x": 5},
            "ContentType": "application/json", "CacheControl": "no-cache",
            "Metadata": {"Run-Id": "r1", "owner": "me"}, "ACL": "private"
        }),
    );
    let head = masked(ok(
        &s,
        "headObject",
        json!({"Bucket": "bucket-name", "Key": "out/result.json"}),
    ));
    assert_eq!(
        head,
        json!({
            "AcceptRanges": "bytes",
            "CacheControl": "no-cache",
            "ContentLength": 7,
            "ContentType": "application/json",
            "ETag": head["ETag"],
            "LastModified": "date",
            "Metadata": {"owner": "me", "run-id": "r1"},
            "ServerSideEncryption": "AES256"
        })
    );
    let get = ok(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "out/result.json", "ResponseContentType": "text/plain"}),
    );
    assert_eq!(get["Body"], "{\"x\":5}");
    assert_eq!(get["ContentType"], "text/plain");
    assert!(
        bucket_dir(&s).join("out").is_dir(),
        "keys with '/' make folders"
    );
}

#[test]
fn a_file_replaced_by_hand_is_described_again() {
    let (_dir, s) = storage();
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "k", "Body": "old", "ContentType": "text/plain"}),
    );
    fs::write(bucket_dir(&s).join("k"), "new content, longer").unwrap();
    let get = ok(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "k"}),
    );
    assert_eq!(get["Body"], "new content, longer");
    assert_eq!(
        get["ETag"],
        format!("\"{}\"", md5_hex(b"new content, longer"))
    );
    assert_eq!(get["ContentType"], "binary/octet-stream");
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn non_utf8_bodies_are_decoded_lossily() {
    let (_dir, s) = storage();
    fs::write(bucket_dir(&s).join("bin"), [0xff, 0xfe, b'a']).unwrap();
    let get = ok(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "bin"}),
    );
    assert_eq!(get["Body"], "\u{fffd}\u{fffd}a");
    assert_eq!(get["ContentLength"], 3);
    assert_eq!(get["ETag"], format!("\"{}\"", md5_hex(&[0xff, 0xfe, b'a'])));
}

#[test]
fn ranges_and_conditions() {
    let (_dir, s) = storage();
    fs::write(bucket_dir(&s).join("r"), "0123456789").unwrap();
    let get = |range: &str| {
        call(
            &s,
            "getObject",
            json!({"Bucket": "bucket-name", "Key": "r", "Range": range}),
        )
    };
    let part = get("bytes=2-4").unwrap();
    assert_eq!(
        (part["Body"].clone(), part["ContentLength"].clone()),
        (json!("234"), json!(3))
    );
    assert_eq!(part["ContentRange"], "bytes 2-4/10");
    assert_eq!(get("bytes=-3").unwrap()["Body"], "789");
    assert_eq!(get("bytes=7-").unwrap()["Body"], "789");
    assert_eq!(get("bytes=8-100").unwrap()["Body"], "89");
    assert_eq!(get("nonsense").unwrap()["Body"], "0123456789");
    let e = get("bytes=10-").unwrap_err();
    assert_s3_error(
        &e,
        "S3.S3Exception",
        "The requested range is not satisfiable",
        416,
    );

    let etag = ok(
        &s,
        "headObject",
        json!({"Bucket": "bucket-name", "Key": "r"}),
    )["ETag"]
        .clone();
    let e = err(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "r", "IfMatch": "\"nope\""}),
    );
    assert_s3_error(
        &e,
        "S3.S3Exception",
        "At least one of the pre-conditions you specified did not hold",
        412,
    );
    ok(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "r", "IfMatch": etag}),
    );
    let e = err(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "r", "Body": "x", "IfNoneMatch": "*"}),
    );
    assert_eq!(e.0, "S3.S3Exception");
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "fresh", "Body": "x", "IfNoneMatch": "*"}),
    );
}

#[test]
fn missing_keys_and_buckets() {
    let (_dir, s) = storage();
    for action in ["getObject", "headObject"] {
        let e = err(
            &s,
            action,
            json!({"Bucket": "bucket-name", "Key": "no_such_key.json"}),
        );
        // As recorded from AWS (error-handling-s3-no-such-key).
        assert_s3_error(
            &e,
            "S3.NoSuchKeyException",
            "The specified key does not exist.",
            404,
        );
    }
    // A folder of other keys is not an object; nor is a path through a file.
    fs::create_dir_all(bucket_dir(&s).join("dir/sub")).unwrap();
    fs::write(bucket_dir(&s).join("dir/sub/x"), "x").unwrap();
    fs::write(bucket_dir(&s).join("file"), "x").unwrap();
    for key in ["dir", "dir/sub", "file/below"] {
        let e = err(
            &s,
            "getObject",
            json!({"Bucket": "bucket-name", "Key": key}),
        );
        assert_eq!(e.0, "S3.NoSuchKeyException", "{key}");
    }
    for (action, params) in [
        (
            "listObjects",
            json!({"Bucket": "someNonexistentBucketName"}),
        ),
        ("listObjectsV2", json!({"Bucket": "other"})),
        ("getObject", json!({"Bucket": "other", "Key": "k"})),
        (
            "putObject",
            json!({"Bucket": "other", "Key": "k", "Body": "x"}),
        ),
        ("deleteObject", json!({"Bucket": "other", "Key": "k"})),
        ("headBucket", json!({"Bucket": "other"})),
    ] {
        let e = err(&s, action, params);
        // As recorded from AWS (error-handling-no-such-bucket): no period before the suffix.
        assert_s3_error(
            &e,
            "S3.NoSuchBucketException",
            "The specified bucket does not exist",
            404,
        );
    }
    assert!(
        !s.local_root().unwrap().join("other").exists(),
        "PutObject does not create buckets"
    );
}

#[test]
fn keys_never_leave_their_bucket() {
    let (dir, s) = storage();
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret"), "secret").unwrap();
    fs::write(s.local_root().unwrap().join("at-root"), "root file").unwrap();

    for key in [
        "../at-root",
        "a/../../at-root",
        "..",
        ".",
        "./x",
        "/etc/passwd",
        "a//b",
        "dir/",
        "nul\0byte",
        ".baton-tmp-0123",
        "",
    ] {
        for action in ["getObject", "putObject", "deleteObject", "headObject"] {
            let mut params = json!({"Bucket": "bucket-name", "Key": key});
            if action == "putObject" {
                params["Body"] = json!("x");
            }
            let e = err(&s, action, params);
            assert_eq!(e.0, "S3.S3Exception", "{action} {key:?}: {e:?}");
            assert!(e.1.contains("Status Code: 400"), "{e:?}");
        }
    }
    let long = "k".repeat(1025);
    let e = err(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": long, "Body": "x"}),
    );
    assert_s3_error(&e, "S3.S3Exception", "Your key is too long", 400);
    assert_eq!(
        fs::read_to_string(s.local_root().unwrap().join("at-root")).unwrap(),
        "root file"
    );

    for bucket in ["..", ".", ".baton-meta", "a/b", "/tmp", "", "x\0"] {
        let e = err(&s, "getObject", json!({"Bucket": bucket, "Key": "k"}));
        assert_eq!(e.0, "S3.S3Exception", "{bucket:?}");
        assert!(
            e.1.starts_with("The specified bucket is not valid."),
            "{e:?}"
        );
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(&outside, bucket_dir(&s).join("link")).unwrap();
        symlink(outside.join("secret"), bucket_dir(&s).join("secret-link")).unwrap();
        for key in ["link/secret", "secret-link"] {
            let e = err(
                &s,
                "getObject",
                json!({"Bucket": "bucket-name", "Key": key}),
            );
            assert_s3_error(&e, "S3.S3Exception", "Access Denied", 403);
        }
        let e = err(
            &s,
            "deleteObject",
            json!({"Bucket": "bucket-name", "Key": "link/secret"}),
        );
        assert_s3_error(&e, "S3.S3Exception", "Access Denied", 403);
        // A link inside the bucket is the bucket's own entry: deleting it removes the link,
        // never what it points to.
        ok(
            &s,
            "deleteObject",
            json!({"Bucket": "bucket-name", "Key": "secret-link"}),
        );
        assert!(!bucket_dir(&s).join("secret-link").exists());
        let e = err(
            &s,
            "putObject",
            json!({"Bucket": "bucket-name", "Key": "link/new/deeper", "Body": "x"}),
        );
        assert_s3_error(&e, "S3.S3Exception", "Access Denied", 403);
        let e = err(
            &s,
            "putObject",
            json!({"Bucket": "bucket-name", "Key": "link/secret", "Body": "x"}),
        );
        assert_s3_error(&e, "S3.S3Exception", "Access Denied", 403);
        assert_eq!(
            fs::read_to_string(outside.join("secret")).unwrap(),
            "secret"
        );
        assert_eq!(
            fs::read_dir(&outside).unwrap().count(),
            1,
            "nothing created outside"
        );
        let listed = ok(&s, "listObjectsV2", json!({"Bucket": "bucket-name"}));
        assert!(
            listed.get("Contents").is_none(),
            "links out are not objects: {listed}"
        );
    }
}

#[test]
fn a_key_cannot_be_both_an_object_and_a_folder() {
    let (_dir, s) = storage();
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "a", "Body": "x"}),
    );
    let e = err(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "a/b", "Body": "x"}),
    );
    assert_eq!(e.0, "S3.S3Exception");
    assert!(e.1.contains("Status Code: 409"), "{e:?}");
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "c/d", "Body": "x"}),
    );
    let e = err(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "c", "Body": "x"}),
    );
    assert!(e.1.contains("Status Code: 409"), "{e:?}");
    // Deleting the last key of a folder removes the folder, so the name is free again.
    assert_eq!(
        ok(
            &s,
            "deleteObject",
            json!({"Bucket": "bucket-name", "Key": "c/d"})
        ),
        json!({})
    );
    assert!(!bucket_dir(&s).join("c").exists());
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "c", "Body": "x"}),
    );
}

#[test]
fn delete_object() {
    let (_dir, s) = storage();
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "x/y/z", "Body": "x"}),
    );
    assert_eq!(
        ok(
            &s,
            "deleteObject",
            json!({"Bucket": "bucket-name", "Key": "x/y/z"})
        ),
        json!({})
    );
    assert_eq!(fs::read_dir(bucket_dir(&s)).unwrap().count(), 0);
    let e = err(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "x/y/z"}),
    );
    assert_eq!(e.0, "S3.NoSuchKeyException");
    // Deleting what does not exist succeeds, as in S3.
    assert_eq!(
        ok(
            &s,
            "deleteObject",
            json!({"Bucket": "bucket-name", "Key": "x/y/z"})
        ),
        json!({})
    );
}

#[test]
fn copy_object() {
    let (_dir, s) = storage();
    block_on(s.create_bucket("other-bucket")).unwrap();
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "in/a b.json", "Body": [1], "ContentType": "application/json", "Metadata": {"k": "v"}}),
    );
    let out = masked(ok(
        &s,
        "copyObject",
        json!({"Bucket": "other-bucket", "Key": "copy.json", "CopySource": "bucket-name/in/a%20b.json"}),
    ));
    let etag = format!("\"{}\"", md5_hex(b"[1]"));
    assert_eq!(
        out,
        json!({"CopyObjectResult": {"ETag": etag, "LastModified": "date"}, "ServerSideEncryption": "AES256"})
    );
    let head = ok(
        &s,
        "headObject",
        json!({"Bucket": "other-bucket", "Key": "copy.json"}),
    );
    assert_eq!(
        (head["ContentType"].clone(), head["Metadata"].clone()),
        (json!("application/json"), json!({"k": "v"}))
    );

    ok(
        &s,
        "copyObject",
        json!({"Bucket": "other-bucket", "Key": "copy.json", "CopySource": "/bucket-name/in/a b.json",
               "MetadataDirective": "REPLACE", "ContentType": "text/plain"}),
    );
    let head = ok(
        &s,
        "headObject",
        json!({"Bucket": "other-bucket", "Key": "copy.json"}),
    );
    assert_eq!(
        (head["ContentType"].clone(), head["Metadata"].clone()),
        (json!("text/plain"), json!({}))
    );

    let e = err(
        &s,
        "copyObject",
        json!({"Bucket": "bucket-name", "Key": "in/a b.json", "CopySource": "bucket-name/in/a b.json"}),
    );
    assert_eq!(e.0, "S3.InvalidRequestException");
    let e = err(
        &s,
        "copyObject",
        json!({"Bucket": "bucket-name", "Key": "k", "CopySource": "bucket-name/missing"}),
    );
    assert_eq!(e.0, "S3.NoSuchKeyException");
    let e = err(
        &s,
        "copyObject",
        json!({"Bucket": "bucket-name", "Key": "k", "CopySource": "nobucket/x"}),
    );
    assert_eq!(e.0, "S3.NoSuchBucketException");
    let e = err(
        &s,
        "copyObject",
        json!({"Bucket": "bucket-name", "Key": "k", "CopySource": "bucket-name/../at-root"}),
    );
    assert_eq!(e.0, "S3.S3Exception");
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

#[test]
fn parameters_outside_the_model_and_unimplemented_ones() {
    let (_dir, s) = storage();
    let e = err(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "k", "Bukket": "x"}),
    );
    assert_eq!(
        e,
        (
            "States.Runtime".to_string(),
            "The field \"Bukket\" is not supported by Step Functions".to_string()
        )
    );
    let e = err(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "k", "VersionId": "1"}),
    );
    assert_s3_error(
        &e,
        "S3.S3Exception",
        "A header you provided implies functionality that is not implemented: VersionId",
        501,
    );
    let e = err(&s, "selectObjectContent", json!({"Bucket": "bucket-name"}));
    assert_eq!(e.0, "S3.S3Exception");
    assert!(e.1.contains("Status Code: 501"));
    let e = err(&s, "getObject", json!({"Bucket": "bucket-name", "Key": 5}));
    assert_eq!(e.0, "S3.S3Exception");
    let e = err(&s, "getObject", json!({"Bucket": "bucket-name"}));
    assert_eq!(e.0, "S3.S3Exception");
    let e = err(&s, "getObject", json!("not an object"));
    assert_eq!(e.0, "S3.S3Exception");
    let e = err(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "k", "Metadata": {"a": 1}}),
    );
    assert_eq!(e.0, "S3.S3Exception");
}

#[test]
fn buckets() {
    let (_dir, s) = storage();
    for bad in [
        "ab",
        "Upper",
        "a..b",
        "-ab",
        "192.168.1.1",
        "xn--abc",
        "a_b",
        "abc-s3alias",
    ] {
        assert!(block_on(s.create_bucket(bad)).is_err(), "{bad}");
    }
    let e = block_on(s.create_bucket("bucket-name")).unwrap_err();
    assert_eq!(e.0, "S3.BucketAlreadyOwnedByYouException");
    assert_eq!(
        ok(&s, "createBucket", json!({"Bucket": "new-bucket"})),
        json!({"Location": "/new-bucket"})
    );
    assert_eq!(
        ok(&s, "headBucket", json!({"Bucket": "new-bucket"})),
        json!({})
    );
    ok(
        &s,
        "putObject",
        json!({"Bucket": "new-bucket", "Key": "k", "Body": 1}),
    );
    let e = err(&s, "deleteBucket", json!({"Bucket": "new-bucket"}));
    assert_s3_error(
        &e,
        "S3.S3Exception",
        "The bucket you tried to delete is not empty",
        409,
    );
    ok(
        &s,
        "deleteObject",
        json!({"Bucket": "new-bucket", "Key": "k"}),
    );
    assert_eq!(
        ok(&s, "deleteBucket", json!({"Bucket": "new-bucket"})),
        json!({})
    );
    assert!(!s.local_root().unwrap().join("new-bucket").exists());
}

#[test]
fn overwrites_are_atomic() {
    let (_dir, s) = storage();
    let size = 256 * 1024;
    let bodies: Vec<String> = ["a", "b"].iter().map(|c| c.repeat(size)).collect();
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "hot", "Body": bodies[0]}),
    );
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for i in 0..40 {
                let body = &bodies[i % 2];
                ok(
                    &s,
                    "putObject",
                    json!({"Bucket": "bucket-name", "Key": "hot", "Body": body}),
                );
            }
        });
        let reader = scope.spawn(|| {
            let mut reads = 0;
            while reads < 200 {
                let got = ok(
                    &s,
                    "getObject",
                    json!({"Bucket": "bucket-name", "Key": "hot"}),
                );
                let body = got["Body"].as_str().unwrap();
                let inner = &body[1..body.len() - 1];
                assert!(
                    inner == bodies[0] || inner == bodies[1],
                    "a read saw a mixed or partial body"
                );
                assert_eq!(got["ETag"], format!("\"{}\"", md5_hex(body.as_bytes())));
                assert_eq!(got["ContentLength"], body.len());
                let listing = ok(&s, "listObjectsV2", json!({"Bucket": "bucket-name"}));
                assert_eq!(
                    listed_keys(&listing),
                    ["hot"],
                    "temporary files are never listed"
                );
                reads += 1;
            }
        });
        writer.join().unwrap();
        reader.join().unwrap();
    });
    let names: Vec<_> = fs::read_dir(bucket_dir(&s))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["hot"], "no temporary file is left behind");
}

#[tokio::test]
async fn the_async_entry_point_runs_actions() {
    // Inside a runtime already: no `storage()`, which blocks on one.
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::new(dir.path().join("buckets"));
    s.create_bucket("bucket-name").await.unwrap();
    let put = s
        .s3_action(
            "putObject",
            &json!({"Bucket": "bucket-name", "Key": "input/data.json", "Body": {"x": 5}}),
        )
        .await
        .unwrap();
    assert!(put["ETag"].is_string());
    let got = s
        .s3_action(
            "getObject",
            &json!({"Bucket": "bucket-name", "Key": "input/data.json"}),
        )
        .await
        .unwrap();
    assert_eq!(got["Body"], "{\"x\":5}");
}

#[test]
fn sidecars_live_outside_the_buckets() {
    let (_dir, s) = storage();
    ok(
        &s,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "a/b.json", "Body": 1, "ContentType": "application/json"}),
    );
    assert!(s
        .local_root()
        .unwrap()
        .join(".baton-meta/bucket-name/a/b.json")
        .is_file());
    let names: Vec<_> = fs::read_dir(bucket_dir(&s).join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["b.json"]);
    assert!(s
        .local_root()
        .unwrap()
        .join("bucket-name/a/b.json")
        .is_file());
}

#[test]
fn objects_removed_by_hand_leave_no_obstacle() {
    let (_dir, s) = storage();
    for (gone, next) in [("a", "a/b"), ("c/d", "c")] {
        ok(
            &s,
            "putObject",
            json!({"Bucket": "bucket-name", "Key": gone, "Body": 1}),
        );
        let path = bucket_dir(&s).join(gone);
        fs::remove_file(&path).unwrap();
        if let Some(parent) = path.parent().filter(|p| *p != bucket_dir(&s)) {
            fs::remove_dir(parent).unwrap();
        }
        ok(
            &s,
            "putObject",
            json!({"Bucket": "bucket-name", "Key": next, "Body": 2, "ContentType": "text/plain"}),
        );
        let head = ok(
            &s,
            "headObject",
            json!({"Bucket": "bucket-name", "Key": next}),
        );
        assert_eq!(head["ContentType"], "text/plain", "{next}");
    }
}
