//! Task buckets on an S3-compatible endpoint (`[storage] endpoint`): Baton's own S3 endpoint
//! (`s3_endpoint::serve`, S3's REST protocol through `s3s`) on a loopback port over a folder,
//! and a remote `Storage` pointed at it through the AWS SDK. The same calls through local
//! storage over the same folder answer the same results and error names; the Distributed Map's
//! reader and writer work there; an endpoint nobody listens on is a clear client error; the
//! credentials never show.

use std::path::Path;

use baton_engine::{ChildResult, ExecutionInfo, ResultExport, TaskPurpose, TaskRequest};
use baton_integrations::config::{Config, Secret, StorageCredentials, StorageEndpoint};
use baton_integrations::storage::Storage;
use baton_integrations::{Environment, Resources};
use baton_runtime::integration::{Integrations, TaskResult};
use serde_json::{json, Value};
use tokio::sync::oneshot;

const SECRET: &str = "s3cr3t-never-shown";
const ACCESS_KEY: &str = "AKIDBATONTEST0000001";

/// Baton's S3 endpoint over `root` on a loopback port: its URL, and what stops it.
async fn endpoint(root: &Path) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let root = root.to_path_buf();
    tokio::spawn(async move {
        let edge = baton_http::Edge::new(baton_http::Protocol::S3Xml);
        let _ = baton_integrations::s3_endpoint::serve(listener, &root, edge, None, async {
            let _ = stopped.await;
        })
        .await;
    });
    (url, stop)
}

fn remote(url: &str) -> Storage {
    Storage::remote(&StorageEndpoint {
        url: url.to_string(),
        region: "us-east-1".into(),
        credentials: Some(StorageCredentials {
            access_key_id: Secret::new(ACCESS_KEY),
            secret_access_key: Secret::new(SECRET),
            session_token: None,
        }),
        force_path_style: true,
    })
}

/// A folder with the bucket `bucket-name`, served by Baton's S3 endpoint; the remote storage
/// on that endpoint, and local storage over the same folder.
struct Setup {
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
    remote: Storage,
    local: Storage,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("buckets");
    let local = Storage::new(&root);
    local.create_bucket("bucket-name").await.unwrap();
    let (url, stop) = endpoint(&root).await;
    Setup {
        remote: remote(&url),
        local,
        _dir: dir,
        _stop: stop,
    }
}

async fn ok(s: &Storage, action: &str, params: Value) -> Value {
    s.s3_action(action, &params)
        .await
        .unwrap_or_else(|e| panic!("{action} {params} failed: {e:?}"))
}

async fn err(s: &Storage, action: &str, params: Value) -> (String, String) {
    match s.s3_action(action, &params).await {
        Ok(v) => panic!("{action} {params} succeeded: {v}"),
        Err(e) => e,
    }
}

/// The result without what legitimately differs between the backends: local storage reports
/// the encryption AWS applies by default (`AES256`); Baton's endpoint sends no encryption
/// header, so the remote backend reports none.
fn comparable(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.remove("ServerSideEncryption");
    }
    v
}

/// Runs `action` through both backends on the same objects; the results must agree.
async fn same(s: &Setup, action: &str, params: Value) -> Value {
    let remote = ok(&s.remote, action, params.clone()).await;
    let local = ok(&s.local, action, params.clone()).await;
    assert_eq!(
        comparable(remote.clone()),
        comparable(local.clone()),
        "{action} {params}: remote and local differ"
    );
    remote
}

/// Runs `action` through both backends; both must fail with the same error name, and the
/// remote cause must carry S3's message and status as the local one does.
async fn same_error(s: &Setup, action: &str, params: Value) -> (String, String) {
    let (remote_name, remote_cause) = err(&s.remote, action, params.clone()).await;
    let (local_name, local_cause) = err(&s.local, action, params.clone()).await;
    assert_eq!(remote_name, local_name, "{action} {params}: {remote_cause}");
    let message = |c: &str| {
        c.split(" (Service: S3")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let status = |c: &str| {
        c.split("Status Code: ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .map(str::to_string)
    };
    assert_eq!(message(&remote_cause), message(&local_cause), "{action}");
    assert_eq!(status(&remote_cause), status(&local_cause), "{action}");
    (remote_name, remote_cause)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_actions_answer_as_local_storage_does() {
    let s = setup().await;
    let put = json!({
        "Bucket": "bucket-name", "Key": "docs/a.json", "Body": {"greeting": "hello"},
        "ContentType": "application/json", "CacheControl": "no-cache",
        "Metadata": {"Owner": "baton"},
    });
    let remote_put = ok(&s.remote, "putObject", put.clone()).await;
    let local_put = ok(
        &s.local,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "docs/b.json", "Body": {"greeting": "hello"},
            "ContentType": "application/json", "CacheControl": "no-cache",
            "Metadata": {"Owner": "baton"}}),
    )
    .await;
    assert_eq!(comparable(remote_put.clone()), comparable(local_put));
    assert_eq!(
        remote_put["ETag"],
        format!("\"{}\"", md5_hex(br#"{"greeting":"hello"}"#))
    );

    let key = |k: &str| json!({"Bucket": "bucket-name", "Key": k});
    let got = same(&s, "getObject", key("docs/a.json")).await;
    assert_eq!(got["Body"], r#"{"greeting":"hello"}"#);
    assert_eq!(got["ContentType"], "application/json");
    assert_eq!(got["CacheControl"], "no-cache");
    assert_eq!(got["Metadata"], json!({"owner": "baton"}));
    assert_eq!(got["ContentLength"], 20);
    assert!(got["LastModified"].as_str().unwrap().ends_with('Z'));
    same(&s, "headObject", key("docs/a.json")).await;
    let mut ranged = key("docs/a.json");
    ranged["Range"] = json!("bytes=2-9");
    let part = same(&s, "getObject", ranged).await;
    assert_eq!(part["Body"], "greeting");
    assert_eq!(part["ContentRange"], "bytes 2-9/20");
    let mut checked = key("docs/a.json");
    checked["ChecksumMode"] = json!("ENABLED");
    checked["ResponseContentType"] = json!("text/plain");
    let got = same(&s, "getObject", checked).await;
    assert_eq!(got["ChecksumType"], "FULL_OBJECT");
    assert_eq!(got["ContentType"], "text/plain");
    let mut overridden = key("docs/a.json");
    overridden["ResponseContentType"] = json!("text/plain");
    let head = same(&s, "headObject", overridden).await;
    assert_eq!(head["ContentType"], "text/plain");

    let remote_copy = ok(
        &s.remote,
        "copyObject",
        json!({"Bucket": "bucket-name", "Key": "copies/a.json",
            "CopySource": "bucket-name/docs/a.json"}),
    )
    .await;
    let local_copy = ok(
        &s.local,
        "copyObject",
        json!({"Bucket": "bucket-name", "Key": "copies/b.json",
            "CopySource": "bucket-name/docs/b.json"}),
    )
    .await;
    assert_eq!(
        remote_copy["CopyObjectResult"]["ETag"],
        local_copy["CopyObjectResult"]["ETag"]
    );
    assert_eq!(
        remote_copy.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["CopyObjectResult"]
    );
    // The copy kept the source's headers.
    let copied = same(&s, "headObject", key("copies/a.json")).await;
    assert_eq!(copied["Metadata"], json!({"owner": "baton"}));

    let listing = same(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "Delimiter": "/"}),
    )
    .await;
    assert_eq!(
        listing["CommonPrefixes"],
        json!([{"Prefix": "copies/"}, {"Prefix": "docs/"}])
    );
    let page = same(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "Prefix": "docs/", "MaxKeys": 1}),
    )
    .await;
    assert_eq!(page["IsTruncated"], true);
    assert_eq!(page["KeyCount"], 1);
    let token = page["NextContinuationToken"].clone();
    let rest = same(
        &s,
        "listObjectsV2",
        json!({"Bucket": "bucket-name", "Prefix": "docs/", "ContinuationToken": token}),
    )
    .await;
    assert_eq!(rest["Contents"][0]["Key"], "docs/b.json");
    same(
        &s,
        "listObjects",
        json!({"Bucket": "bucket-name", "Prefix": "copies/", "Marker": "copies/a.json"}),
    )
    .await;
    same(&s, "headBucket", json!({"Bucket": "bucket-name"})).await;

    assert_eq!(
        ok(&s.remote, "deleteObject", key("copies/a.json")).await,
        json!({})
    );
    assert_eq!(
        ok(&s.local, "deleteObject", key("copies/b.json")).await,
        json!({})
    );
    let (name, _) = same_error(&s, "getObject", key("copies/a.json")).await;
    assert_eq!(name, "S3.NoSuchKeyException");

    // Buckets made through the endpoint are folders the local backend sees.
    assert_eq!(
        ok(
            &s.remote,
            "createBucket",
            json!({"Bucket": "made-remotely"})
        )
        .await,
        json!({"Location": "/made-remotely"})
    );
    assert_eq!(
        ok(&s.local, "headBucket", json!({"Bucket": "made-remotely"})).await,
        json!({})
    );
    ok(
        &s.remote,
        "deleteBucket",
        json!({"Bucket": "made-remotely"}),
    )
    .await;
    s.remote.create_bucket("made-again").await.unwrap();
    assert!(s.local.local_root().unwrap().join("made-again").is_dir());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_named_as_for_local_storage() {
    let s = setup().await;
    let missing_key = json!({"Bucket": "bucket-name", "Key": "nothing-here"});
    let (name, cause) = same_error(&s, "getObject", missing_key.clone()).await;
    assert_eq!(name, "S3.NoSuchKeyException");
    assert!(
        cause.starts_with(
            "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: "
        ),
        "{cause}"
    );
    // HEAD answers carry no error body: a 404 is the key's.
    let (name, _) = same_error(&s, "headObject", missing_key).await;
    assert_eq!(name, "S3.NoSuchKeyException");
    let no_bucket = json!({"Bucket": "no-such-bucket", "Key": "k"});
    let (name, _) = same_error(&s, "getObject", no_bucket.clone()).await;
    assert_eq!(name, "S3.NoSuchBucketException");
    same_error(&s, "putObject", no_bucket).await;
    same_error(&s, "listObjectsV2", json!({"Bucket": "no-such-bucket"})).await;
    let (name, _) = same_error(&s, "headBucket", json!({"Bucket": "no-such-bucket"})).await;
    assert_eq!(name, "S3.NoSuchBucketException");
    let (name, _) = same_error(&s, "createBucket", json!({"Bucket": "bucket-name"})).await;
    assert_eq!(name, "S3.BucketAlreadyOwnedByYouException");
    ok(
        &s.remote,
        "putObject",
        json!({"Bucket": "bucket-name", "Key": "k", "Body": 1}),
    )
    .await;
    let (name, _) = same_error(&s, "deleteBucket", json!({"Bucket": "bucket-name"})).await;
    assert_eq!(name, "S3.S3Exception");
    let (name, _) = same_error(
        &s,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "k", "IfMatch": "\"0000\""}),
    )
    .await;
    assert_eq!(name, "S3.S3Exception");

    // Parameters are checked before anything is sent, the same way for both backends.
    for params in [
        json!({"Bucket": "bucket-name", "Key": "k", "NotAField": 1}),
        json!({"Bucket": "bucket-name", "Key": "k", "VersionId": "v1"}),
        json!({"Bucket": "bucket-name", "Key": 7}),
    ] {
        let remote = err(&s.remote, "getObject", params.clone()).await;
        let local = err(&s.local, "getObject", params.clone()).await;
        assert_eq!(remote.0, local.0, "{params}");
        if remote.0 == "States.Runtime" {
            assert_eq!(remote.1, local.1);
        }
    }
    let (name, cause) = err(
        &s.remote,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "k", "NotAField": 1}),
    )
    .await;
    assert_eq!(
        (name.as_str(), cause.as_str()),
        (
            "States.Runtime",
            "The field \"NotAField\" is not supported by Step Functions"
        )
    );
    let (name, _) = err(&s.remote, "selectObjectContent", json!({})).await;
    assert_eq!(name, "S3.S3Exception");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_a_client_error() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let storage = remote(&format!("http://127.0.0.1:{port}"));
    let (name, cause) = err(
        &storage,
        "getObject",
        json!({"Bucket": "bucket-name", "Key": "k"}),
    )
    .await;
    assert_eq!(name, "S3.SdkClientException");
    assert!(
        cause.starts_with("Unable to execute HTTP request: "),
        "{cause}"
    );
    assert!(!cause.contains(SECRET), "{cause}");
    // The causes' own words, not the SDK's debugging dump.
    assert!(!cause.contains("DispatchFailure"), "{cause}");
    let (name, cause) = storage
        .item_reader(
            "arn:aws:states:::s3:listObjectsV2",
            &json!({"Bucket": "bucket-name"}),
            &Value::Null,
        )
        .await
        .unwrap_err();
    assert_eq!(name, "States.ItemReaderFailed");
    assert!(
        cause.starts_with("Unable to execute HTTP request: "),
        "{cause}"
    );
    // Nor does the configuration or the storage print its credentials.
    let debug = format!("{storage:?}");
    assert!(
        !debug.contains(SECRET) && !debug.contains(ACCESS_KEY),
        "{debug}"
    );
    let config = Config::parse(
        &format!(
            "[storage]\nendpoint = \"http://127.0.0.1:{port}\"\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET}\"\n"
        ),
        "test",
        Path::new("."),
        Vec::new(),
    )
    .unwrap();
    let debug = format!("{config:?}");
    assert!(
        !debug.contains(SECRET) && !debug.contains(ACCESS_KEY),
        "{debug}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_reader_and_result_writer_on_an_endpoint() {
    let s = setup().await;
    // Files dropped into the bucket's folder (`Body` would store JSON text, not CSV).
    let inputs = s.local.local_root().unwrap().join("bucket-name/in");
    std::fs::create_dir_all(&inputs).unwrap();
    for (key, text) in [
        ("items.json", r#"[1, {"a": 2}, "three"]"#),
        ("items.csv", "name,qty\nbolt,3\n\"nut, hex\",1\n"),
        ("items.jsonl", "{\"a\":1}\n{\"a\":2}\n"),
    ] {
        std::fs::write(inputs.join(key), text).unwrap();
    }
    let get = "arn:aws:states:::s3:getObject";
    let obj = |k: &str| json!({"Bucket": "bucket-name", "Key": k});
    let cases = [
        (get, obj("in/items.json"), json!({"InputType": "JSON"})),
        (get, obj("in/items.jsonl"), json!({"InputType": "JSONL"})),
        (
            get,
            obj("in/items.csv"),
            json!({"InputType": "CSV", "MaxItems": 1}),
        ),
        (
            "arn:aws:states:::s3:listObjectsV2",
            json!({"Bucket": "bucket-name", "Prefix": "in/"}),
            Value::Null,
        ),
    ];
    for (resource, args, config) in cases {
        let remote = s
            .remote
            .item_reader(resource, &args, &config)
            .await
            .unwrap();
        let local = s.local.item_reader(resource, &args, &config).await.unwrap();
        assert_eq!(remote, local, "{args} {config}");
        assert!(!remote.is_empty());
    }
    assert_eq!(
        s.remote
            .item_reader(get, &obj("in/items.csv"), &json!({"InputType": "CSV"}))
            .await
            .unwrap(),
        vec![
            json!({"name": "bolt", "qty": "3"}),
            json!({"name": "nut, hex", "qty": "1"})
        ]
    );
    let listed = s
        .remote
        .item_reader(
            "arn:aws:states:::s3:listObjectsV2",
            &json!({"Bucket": "bucket-name", "Prefix": "in/"}),
            &Value::Null,
        )
        .await
        .unwrap();
    let keys: Vec<&str> = listed.iter().map(|i| i["Key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["in/items.csv", "in/items.json", "in/items.jsonl"]);
    let (name, cause) = s
        .remote
        .item_reader(get, &obj("in/missing.json"), &json!({"InputType": "JSON"}))
        .await
        .unwrap_err();
    assert_eq!(name, "States.ItemReaderFailed");
    assert!(
        cause.starts_with("The specified key does not exist."),
        "{cause}"
    );

    let export = ResultExport {
        map_run_arn: "arn:aws:states:us-east-1:123456789012:mapRun:m/L:run-1".into(),
        output_type: "JSON".into(),
        results: vec![
            ChildResult {
                status: "SUCCEEDED",
                value: json!({"n": 1}),
            },
            ChildResult {
                status: "FAILED",
                value: json!({"Status": "FAILED"}),
            },
        ],
    };
    let details = s
        .remote
        .result_writer(&json!({"Bucket": "bucket-name", "Prefix": "out"}), &export)
        .await
        .unwrap();
    assert_eq!(
        details,
        json!({"Bucket": "bucket-name", "Key": "out/run-1/manifest.json"})
    );
    let root = s.local.local_root().unwrap().join("bucket-name/out/run-1");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["ResultFiles"]["SUCCEEDED"][0]["Key"],
        "out/run-1/SUCCEEDED_0.json"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("SUCCEEDED_0.json")).unwrap(),
        r#"[{"n":1}]"#
    );
    let head = ok(&s.local, "headObject", obj("out/run-1/manifest.json")).await;
    assert_eq!(head["ContentType"], "application/json");
    let (name, _) = s
        .remote
        .result_writer(&json!({"Bucket": "no-such-bucket"}), &export)
        .await
        .unwrap_err();
    assert_eq!(name, "States.ResultWriterFailed");
}

/// `Resources` from a `baton.toml` with `[storage] endpoint`: Task states and a Map's reader
/// reach the endpoint, and processes get it as `AWS_ENDPOINT_URL_S3` but not Baton's key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_with_a_storage_endpoint() {
    let s = setup().await;
    let url = s.remote.endpoint_url().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen.json");
    let fixtures = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let text = format!(
        r#"
        [storage]
        endpoint = "{url}"
        access_key_id = "{ACCESS_KEY}"
        [ecs.math]
        command = ["python3", "task.py"]
        env = {{ OUT_FILE = "{}" }}
        "#,
        seen.display()
    );
    let vars = vec![(
        "BATON_STORAGE__SECRET_ACCESS_KEY".to_string(),
        SECRET.to_string(),
    )];
    let config = Config::parse(&text, "test", fixtures, vars).unwrap();
    let resources = Resources::new(
        &config,
        Environment {
            endpoint_url: None,
            s3_endpoint_url: None,
            data_dir: dir.path().join("data"),
        },
    );
    assert_eq!(resources.storage().endpoint_url(), Some(url.as_str()));
    let info = ExecutionInfo::standard("aws", "us-east-1", "111111111111", "machine", "run");
    let request = |resource: &str, input: Value, purpose: TaskPurpose| TaskRequest {
        id: 1,
        state_name: "Step".into(),
        resource: resource.into(),
        input,
        token: None,
        timeout_seconds: None,
        heartbeat_seconds: None,
        credentials: None,
        purpose,
        trace: None,
    };
    let put = request(
        "arn:aws:states:::aws-sdk:s3:putObject",
        json!({"Bucket": "bucket-name", "Key": "via/resources.json", "Body": [1, 2]}),
        TaskPurpose::State,
    );
    let TaskResult::Succeeded(out) = resources.invoke(&info, &put, false).await else {
        panic!("putObject succeeds")
    };
    assert!(out["ETag"].is_string());
    assert_eq!(
        std::fs::read_to_string(
            s.local
                .local_root()
                .unwrap()
                .join("bucket-name/via/resources.json")
        )
        .unwrap(),
        "[1,2]"
    );
    let read = request(
        "arn:aws:states:::s3:getObject",
        json!({"Bucket": "bucket-name", "Key": "via/resources.json"}),
        TaskPurpose::ItemReader {
            reader_config: Box::new(json!({"InputType": "JSON"})),
        },
    );
    assert_eq!(
        resources.invoke(&info, &read, false).await,
        TaskResult::Succeeded(json!([1, 2]))
    );
    let run = request(
        "arn:aws:states:::ecs:runTask.sync",
        json!({"TaskDefinition": "math"}),
        TaskPurpose::State,
    );
    let TaskResult::Succeeded(_) = resources.invoke(&info, &run, false).await else {
        panic!("the ECS task succeeds")
    };
    let seen: Value = serde_json::from_slice(&std::fs::read(&seen).unwrap()).unwrap();
    assert_eq!(seen["env"]["AWS_ENDPOINT_URL_S3"], url.as_str());
    assert_ne!(seen["env"]["AWS_SECRET_ACCESS_KEY"], SECRET);
    assert_ne!(seen["env"]["AWS_ACCESS_KEY_ID"], ACCESS_KEY);
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
