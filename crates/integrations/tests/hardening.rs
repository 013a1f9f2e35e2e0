//! What a definition cannot reach through the Task resources: bucket and metadata folders that
//! are symbolic links, and the HTTP headers AWS reserves.

mod support;

use std::fs;

use baton_integrations::config::Config;
use baton_integrations::http::Http;
use baton_integrations::storage::Storage;
use serde_json::{json, Value};
use support::block_on;

fn call(s: &Storage, action: &str, params: Value) -> Result<Value, (String, String)> {
    block_on(s.s3_action(action, &params))
}

/// A bucket folder that is a link (out of the root, or to another bucket) is no bucket: every
/// action answers `NoSuchBucket`, as S3 does for a name that names none, and nothing outside
/// the root is read, written or removed.
#[cfg(unix)]
#[test]
fn a_linked_bucket_folder_is_no_bucket() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("buckets");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret"), "secret").unwrap();
    let s = Storage::new(&root);
    block_on(s.create_bucket("real")).unwrap();
    symlink(&outside, root.join("linked")).unwrap();
    symlink(root.join("real"), root.join("alias")).unwrap();
    for bucket in ["linked", "alias"] {
        let calls = [
            ("getObject", json!({"Bucket": bucket, "Key": "secret"})),
            ("headObject", json!({"Bucket": bucket, "Key": "secret"})),
            (
                "putObject",
                json!({"Bucket": bucket, "Key": "new", "Body": "x"}),
            ),
            ("deleteObject", json!({"Bucket": bucket, "Key": "secret"})),
            ("listObjectsV2", json!({"Bucket": bucket})),
            ("headBucket", json!({"Bucket": bucket})),
            ("deleteBucket", json!({"Bucket": bucket})),
        ];
        for (action, params) in calls {
            let (error, cause) = call(&s, action, params).expect_err(action);
            assert_eq!(
                error, "S3.NoSuchBucketException",
                "{action} {bucket}: {cause}"
            );
        }
    }
    assert_eq!(
        fs::read_to_string(outside.join("secret")).unwrap(),
        "secret"
    );
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);
    assert!(root.join("linked").exists() && root.join("alias").exists());
}

/// The metadata sidecars live under `.baton-meta`; when that folder (or a bucket's folder in
/// it) is a link, no sidecar is read from or written through it, and a write is refused
/// before the object changes.
#[cfg(unix)]
#[test]
fn a_linked_metadata_folder_is_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("buckets");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    let s = Storage::new(&root);
    block_on(s.create_bucket("real")).unwrap();
    call(
        &s,
        "putObject",
        json!({"Bucket": "real", "Key": "k", "Body": "before"}),
    )
    .unwrap();
    fs::rename(root.join(".baton-meta"), dir.path().join("old-meta")).unwrap();
    symlink(&outside, root.join(".baton-meta")).unwrap();
    let (error, cause) = call(
        &s,
        "putObject",
        json!({"Bucket": "real", "Key": "k", "Body": "after", "ContentType": "text/plain"}),
    )
    .expect_err("refused");
    assert_eq!(error, "S3.S3Exception", "{cause}");
    assert!(cause.starts_with("Access Denied"), "{cause}");
    // Step Functions stores a string Body as its JSON text, quotes included.
    assert_eq!(
        fs::read_to_string(root.join("real/k")).unwrap(),
        "\"before\""
    );
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing made outside"
    );
    // Reads still work, with the headers S3 gives an object without metadata.
    let got = call(&s, "getObject", json!({"Bucket": "real", "Key": "k"})).unwrap();
    assert_eq!(got["Body"], "\"before\"");
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        0,
        "no sidecar cached outside"
    );
    let leftovers = fs::read_dir(root.join("real"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".baton-tmp-"))
        .count();
    assert_eq!(leftovers, 0, "the refused write's temporary file is gone");
}

/// Headers AWS reserves fail the HTTP task with `States.Runtime` before anything is sent
/// ("Call HTTPS APIs in Step Functions workflows"); `Content-Length` too.
#[test]
fn reserved_http_headers_fail_the_task() {
    let config = Config::parse(
        "[http.connections.c]\n",
        "test",
        std::path::Path::new("."),
        Vec::new(),
    )
    .expect("valid config");
    let http = Http::new(&config);
    let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    target.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", target.local_addr().unwrap());
    for header in [
        "Host",
        "host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "TE",
        "Upgrade",
        "X-Forwarded-For",
        "x-amz-security-token",
        "X-Amzn-Trace-Id",
        "Proxy-Authorization",
    ] {
        let params = json!({"ApiEndpoint": url, "Method": "POST",
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:111111111111:connection/c/1"},
            "Headers": {header: "x"}});
        let (error, cause) = block_on(http.invoke(&params, None)).expect_err(header);
        assert_eq!(error, "States.Runtime", "{header}");
        assert_eq!(
            cause,
            format!("HTTP task: the header '{header}' cannot be set in an HTTP Task definition")
        );
    }
    assert!(target.accept().is_err(), "nothing was sent");
}
