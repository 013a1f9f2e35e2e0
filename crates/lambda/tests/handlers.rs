//! Handlers in real Node.js and Python processes behind the Runtime API: results, errors as the
//! AWS runtimes report them, timeouts, crashes, warm reuse, concurrency, logs, environment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use baton_lambda::{Function, Invoke, Pool, Reply, Runtimes};
use serde_json::{json, Value};

/// A test that needs a program absent here is skipped, unless `BATON_CI_STRICT=1`.
fn have(program: &str) -> bool {
    let found = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let msg = format!("{program} is not on PATH; skipping");
        if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
            panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
        }
        eprintln!("SKIP: {msg}");
    }
    found
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, text).expect("write");
}

struct Fixture {
    _dir: tempfile::TempDir,
    code: std::path::PathBuf,
    logs: std::path::PathBuf,
    runtimes: Arc<Runtimes>,
}

fn fixture(files: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let code = dir.path().join("code");
    std::fs::create_dir_all(&code).expect("code");
    for (name, text) in files {
        write(&code, name, text);
    }
    let logs = dir.path().join("logs");
    let runtimes = Arc::new(Runtimes::new(Some(&dir.path().join("run"))).expect("runtimes"));
    Fixture {
        _dir: dir,
        code,
        logs,
        runtimes,
    }
}

impl Fixture {
    fn pool(&self, runtime: &str, handler: &str, max: usize, timeout_s: u64) -> Arc<Pool> {
        let function = Function {
            name: "fn".into(),
            runtime: runtime.into(),
            handler: handler.into(),
            code: self.code.clone(),
            environment: BTreeMap::from([
                ("TABLE".to_string(), "orders".to_string()),
                ("AWS_REGION".to_string(), "ignored".to_string()),
                ("AWS_ENDPOINT_URL".to_string(), "http://own".to_string()),
            ]),
            memory_mb: 256,
            max_concurrency: max,
            timeout: Duration::from_secs(timeout_s),
            version: "$LATEST".into(),
        };
        Pool::new(
            function,
            self.runtimes.clone(),
            Some(self.logs.join("fn.log")),
        )
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.logs.join("fn.log")).unwrap_or_default()
    }
}

async fn call(pool: &Pool, event: Value) -> Reply {
    call_as(pool, "111111111111", event).await
}

/// The SDK environment an execution of `account` gives its functions.
fn sdk_env(account: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AWS_REGION".to_string(), "eu-west-1".to_string()),
        ("AWS_ENDPOINT_URL".to_string(), "http://sdk".to_string()),
        ("AWS_ACCESS_KEY_ID".to_string(), account.to_string()),
    ])
}

/// An invocation from an execution of `account`: its SDK environment carries that account's
/// key.
async fn call_as(pool: &Pool, account: &str, event: Value) -> Reply {
    pool.invoke(Invoke {
        request_id: uuid::Uuid::new_v4().to_string(),
        event: event.to_string().into_bytes().into(),
        invoked_arn: format!("arn:aws:lambda:eu-west-1:{account}:function:fn"),
        sdk_env: sdk_env(account),
        client_context: None,
        cognito_identity: None,
        trace_header: None,
    })
    .await
    .expect("reaches the function")
}

fn json_of(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.payload).expect("JSON payload")
}

const ENV_NAMES: &[&str] = &[
    "_HANDLER",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_EXECUTION_ENV",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "TZ",
    "TABLE",
    "CARGO",
];

const NODE_ENV: &str = r#"
exports.handler = async (event, context) => {
  const env = {};
  for (const k of NAMES) env[k] = process.env[k];
  console.log('got', JSON.stringify(event));
  return {
    event,
    env,
    pid: process.pid,
    context: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      remaining: context.getRemainingTimeInMillis() > 0,
      waits: context.callbackWaitsForEmptyEventLoop,
    },
  };
};
"#;

fn node_env_handler() -> String {
    format!("const NAMES = {};\n{NODE_ENV}", json!(ENV_NAMES))
}

#[tokio::test]
async fn node_commonjs_async_handler_with_lambda_context_and_environment() {
    if !have("node") {
        return;
    }
    let f = fixture(&[("src/app.js", &node_env_handler())]);
    let pool = f.pool("nodejs20.x", "src/app.handler", 2, 10);
    let reply = call(&pool, json!({"x": 1})).await;
    assert!(
        !reply.function_error,
        "{}",
        String::from_utf8_lossy(&reply.payload)
    );
    assert!(reply.cold_start);
    let out = json_of(&reply);
    assert_eq!(out["event"], json!({"x": 1}));
    let env = &out["env"];
    assert_eq!(env["_HANDLER"], "src/app.handler");
    assert_eq!(env["LAMBDA_TASK_ROOT"], f.code.display().to_string());
    assert!(env["LAMBDA_RUNTIME_DIR"].as_str().is_some());
    assert!(env["AWS_LAMBDA_RUNTIME_API"]
        .as_str()
        .is_some_and(|a| a.starts_with("127.0.0.1:")));
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "fn");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/fn");
    assert!(env["AWS_LAMBDA_LOG_STREAM_NAME"]
        .as_str()
        .is_some_and(|s| s.contains("/[$LATEST]")));
    assert_eq!(env["AWS_EXECUTION_ENV"], "AWS_Lambda_nodejs20.x");
    // Reserved keys are Lambda's; the function's own variables win over the SDK's.
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
    assert_eq!(env["AWS_ENDPOINT_URL"], "http://own");
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "111111111111");
    assert_eq!(env["TZ"], ":UTC");
    assert_eq!(env["TABLE"], "orders");
    // Nothing else of Baton's own environment reaches the function.
    assert_eq!(env.get("CARGO"), None);
    let context = &out["context"];
    assert_eq!(context["functionName"], "fn");
    assert_eq!(context["functionVersion"], "$LATEST");
    assert_eq!(
        context["invokedFunctionArn"],
        "arn:aws:lambda:eu-west-1:111111111111:function:fn"
    );
    assert_eq!(context["memoryLimitInMB"], "256");
    assert_eq!(context["logGroupName"], "/aws/lambda/fn");
    assert_eq!(context["remaining"], true);
    assert_eq!(context["waits"], true);
    // The console line is in the log under the invocation's request id, and in the tail.
    let id = context["awsRequestId"].as_str().expect("id").to_string();
    assert!(reply
        .log_tail
        .contains(&format!("\t{id}\tINFO\tgot {{\"x\":1}}")));
    let log = f.log();
    let section = log
        .split("--- RequestId: ")
        .find(|s| s.starts_with(&id))
        .unwrap_or_else(|| panic!("no section for {id} in {log:?}"));
    assert!(section.contains("INFO\tgot {\"x\":1}"), "{section}");
}

#[tokio::test]
async fn node_es_modules_mjs_and_type_module() {
    if !have("node") {
        return;
    }
    let f = fixture(&[
        (
            "m.mjs",
            "export const handler = async (e) => ({ kind: 'mjs', e });",
        ),
        ("esm/package.json", r#"{"type": "module"}"#),
        (
            "esm/index.js",
            "export async function handler(e) { return { kind: 'type-module', e }; }",
        ),
    ]);
    let reply = call(&f.pool("nodejs22.x", "m.handler", 1, 10), json!(1)).await;
    assert_eq!(json_of(&reply), json!({"kind": "mjs", "e": 1}));
    let reply = call(&f.pool("nodejs20.x", "esm/index.handler", 1, 10), json!(2)).await;
    assert_eq!(json_of(&reply), json!({"kind": "type-module", "e": 2}));
}

#[tokio::test]
async fn node_callback_and_context_methods() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "cb.js",
        r#"
exports.handler = (event, context, callback) => {
  if (event.how === 'callback') setTimeout(() => callback(null, { via: 'callback' }), 5);
  else if (event.how === 'succeed') context.succeed({ via: 'succeed' });
  else if (event.how === 'done') context.done(null, { via: 'done' });
  else callback(new TypeError('bad how'));
};
exports.undef = async () => undefined;
"#,
    )]);
    let pool = f.pool("nodejs20.x", "cb.handler", 1, 10);
    for how in ["callback", "succeed", "done"] {
        let reply = call(&pool, json!({"how": how})).await;
        assert_eq!(json_of(&reply), json!({"via": how}));
    }
    let reply = call(&pool, json!({"how": "fail"})).await;
    assert!(reply.function_error);
    let error = json_of(&reply);
    assert_eq!(error["errorType"], "TypeError");
    assert_eq!(error["errorMessage"], "bad how");
    let reply = call(&f.pool("nodejs20.x", "cb.undef", 1, 10), json!({})).await;
    assert_eq!(reply.payload, b"null");
}

#[tokio::test]
async fn node_errors_as_the_node_runtime_reports_them() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "errors.js",
        r#"
class ValidationError extends Error {
  constructor(m) { super(m); this.name = 'ValidationError'; }
}
class Unnamed extends Error {}
exports.named = async () => { throw new ValidationError('order 7 has no items'); };
exports.unnamed = async () => { throw new Unnamed('no name'); };
exports.text = async () => { throw 'just text'; };
exports.notfn = 5;
"#,
    )]);
    let reply = call(&f.pool("nodejs20.x", "errors.named", 1, 10), json!({})).await;
    assert!(reply.function_error);
    let e = json_of(&reply);
    assert_eq!(e["errorType"], "ValidationError");
    assert_eq!(e["errorMessage"], "order 7 has no items");
    // The Node.js runtime's key is `trace`, the stack's lines.
    assert!(e["trace"][0]
        .as_str()
        .is_some_and(|l| l.starts_with("ValidationError: order 7 has no items")));
    // A subclass that does not set `name` is reported by the name it inherits.
    let e = json_of(&call(&f.pool("nodejs20.x", "errors.unnamed", 1, 10), json!({})).await);
    assert_eq!(e["errorType"], "Error");
    let e = json_of(&call(&f.pool("nodejs20.x", "errors.text", 1, 10), json!({})).await);
    assert_eq!(
        e,
        json!({"errorType": "string", "errorMessage": "just text", "trace": []})
    );
    let reply = call(&f.pool("nodejs20.x", "errors.missing", 1, 10), json!({})).await;
    let e = json_of(&reply);
    assert_eq!(e["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(
        e["errorMessage"],
        "errors.missing is undefined or not exported"
    );
    let e = json_of(&call(&f.pool("nodejs20.x", "errors.notfn", 1, 10), json!({})).await);
    assert_eq!(e["errorMessage"], "errors.notfn is not a function");
}

#[tokio::test]
async fn node_import_error_then_a_fresh_process_after_the_fix() {
    if !have("node") {
        return;
    }
    let f = fixture(&[]);
    let pool = f.pool("nodejs20.x", "absent.handler", 1, 10);
    let reply = call(&pool, json!({})).await;
    assert!(reply.function_error);
    let e = json_of(&reply);
    assert_eq!(e["errorType"], "Runtime.ImportModuleError");
    assert!(
        e["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("Error: Cannot find module 'absent'")),
        "{e}"
    );
    write(
        &f.code,
        "absent.js",
        "exports.handler = async () => 'now here';",
    );
    let reply = call(&pool, json!({})).await;
    assert_eq!(json_of(&reply), json!("now here"));
    assert!(reply.cold_start);
}

#[tokio::test]
async fn node_timeout_kills_the_process_and_the_next_invocation_works() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "slow.js",
        "exports.handler = async (e) => { if (e.wait) await new Promise((r) => setTimeout(r, 60000)); return process.pid; };",
    )]);
    let pool = f.pool("nodejs20.x", "slow.handler", 1, 1);
    let first = json_of(&call(&pool, json!({})).await);
    let reply = call(&pool, json!({"wait": true})).await;
    assert!(reply.function_error);
    let e = json_of(&reply);
    assert_eq!(e["errorType"], "Sandbox.Timedout");
    assert!(e["errorMessage"]
        .as_str()
        .is_some_and(|m| m.ends_with("Error: Task timed out after 1.00 seconds")));
    let reply = call(&pool, json!({})).await;
    assert!(reply.cold_start);
    assert_ne!(json_of(&reply), first, "a fresh process");
}

#[tokio::test]
async fn node_crash_mid_invocation_is_an_exit_error_and_the_process_is_replaced() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "crash.js",
        "exports.handler = async (e) => { if (e.crash) process.exit(1); return process.pid; };",
    )]);
    let pool = f.pool("nodejs20.x", "crash.handler", 1, 10);
    let first = json_of(&call(&pool, json!({})).await);
    let request_id = uuid::Uuid::new_v4().to_string();
    let reply = pool
        .invoke(Invoke {
            request_id: request_id.clone(),
            event: br#"{"crash": true}"#.to_vec().into(),
            invoked_arn: "arn:aws:lambda:eu-west-1:111111111111:function:fn".into(),
            sdk_env: sdk_env("111111111111"),
            client_context: None,
            cognito_identity: None,
            trace_header: None,
        })
        .await
        .expect("reaches the function");
    assert!(reply.function_error);
    assert_eq!(
        json_of(&reply),
        json!({
            "errorType": "Runtime.ExitError",
            "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: exit status 1"),
        })
    );
    let again = call(&pool, json!({})).await;
    assert!(again.cold_start);
    assert_ne!(json_of(&again), first);
}

#[tokio::test]
async fn warm_processes_are_reused_and_at_most_max_concurrency_run() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "count.js",
        r#"
let count = 0;
exports.handler = async (e) => {
  count += 1;
  if (e.sleep) await new Promise((r) => setTimeout(r, e.sleep));
  return { pid: process.pid, count };
};
"#,
    )]);
    let pool = f.pool("nodejs20.x", "count.handler", 2, 10);
    let a = json_of(&call(&pool, json!({})).await);
    let b = json_of(&call(&pool, json!({})).await);
    assert_eq!(a["pid"], b["pid"], "the warm process is reused");
    assert_eq!(a["count"], 1);
    assert_eq!(b["count"], 2, "module state survives between invocations");
    let calls = (0..6).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move { json_of(&call(&pool, json!({"sleep": 100})).await) })
    });
    let mut pids = BTreeSet::new();
    let mut total = 0;
    for c in calls {
        let out = c.await.expect("joined");
        pids.insert(out["pid"].as_i64().expect("pid"));
        total += 1;
    }
    assert_eq!(total, 6);
    assert!(pids.len() <= 2, "at most 2 processes: {pids:?}");
    assert!(pool.idle_pids().len() <= 2);
}

#[tokio::test]
async fn a_warm_process_serves_only_the_account_it_was_started_for() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "who.js",
        "exports.handler = async () => ({ pid: process.pid, key: process.env.AWS_ACCESS_KEY_ID });",
    )]);
    let pool = f.pool("nodejs20.x", "who.handler", 4, 10);
    let a = json_of(&call_as(&pool, "111111111111", json!({})).await);
    let b = json_of(&call_as(&pool, "222222222222", json!({})).await);
    let a_again = json_of(&call_as(&pool, "111111111111", json!({})).await);
    assert_eq!(a["key"], "111111111111");
    assert_eq!(
        b["key"], "222222222222",
        "another account's process, with its key"
    );
    assert_ne!(a["pid"], b["pid"]);
    assert_eq!(
        a_again["pid"], a["pid"],
        "the first account's warm process again"
    );
}

#[tokio::test]
async fn dropping_the_pool_leaves_no_process() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "pid.js",
        "exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 50)); return process.pid; };",
    )]);
    let pool = f.pool("nodejs20.x", "pid.handler", 3, 10);
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { json_of(&call(&pool, json!({})).await) })
        })
        .collect();
    let mut pids = Vec::new();
    for c in calls {
        pids.push(c.await.expect("joined").as_i64().expect("pid"));
    }
    for pid in &pids {
        assert!(Path::new(&format!("/proc/{pid}")).exists());
    }
    drop(pool);
    for pid in pids {
        let mut gone = false;
        for _ in 0..100 {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Gone, or a zombie waiting for its parent's reaper.
            if stat.is_empty() || stat.contains(") Z ") {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(gone, "process {pid} outlived its pool");
    }
}

#[tokio::test]
async fn python_handler_errors_and_import_error() {
    if !have("python3") {
        return;
    }
    let f = fixture(&[
        (
            "app/main.py",
            r#"
import os
count = 0
class OrderError(Exception):
    pass
def handler(event, context):
    global count
    count += 1
    print("seen", event)
    if event.get("fail"):
        raise OrderError("order is bad")
    return {
        "event": event,
        "count": count,
        "request_id": context.aws_request_id,
        "name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "group": context.log_group_name,
        "remaining": context.get_remaining_time_in_millis() > 0,
        "handler": os.environ["_HANDLER"],
        "exec": os.environ["AWS_EXECUTION_ENV"],
    }
"#,
        ),
        ("app/__init__.py", ""),
    ]);
    let pool = f.pool("python3.12", "app.main.handler", 1, 10);
    let reply = call(&pool, json!({"a": 1})).await;
    assert!(
        !reply.function_error,
        "{}",
        String::from_utf8_lossy(&reply.payload)
    );
    let out = json_of(&reply);
    assert_eq!(out["event"], json!({"a": 1}));
    assert_eq!(out["count"], 1);
    assert_eq!(out["name"], "fn");
    assert_eq!(out["version"], "$LATEST");
    assert_eq!(out["memory"], "256");
    assert_eq!(out["group"], "/aws/lambda/fn");
    assert_eq!(out["remaining"], true);
    assert_eq!(out["handler"], "app.main.handler");
    assert_eq!(out["exec"], "AWS_Lambda_python3.12");
    let id = out["request_id"].as_str().expect("id").to_string();
    assert!(
        reply.log_tail.contains("seen {'a': 1}"),
        "{}",
        reply.log_tail
    );
    assert!(f
        .log()
        .contains(&format!("--- RequestId: {id}\nseen {{'a': 1}}\n")));
    assert_eq!(json_of(&call(&pool, json!({})).await)["count"], 2);
    let reply = call(&pool, json!({"fail": true})).await;
    assert!(reply.function_error);
    let e = json_of(&reply);
    assert_eq!(e["errorType"], "OrderError");
    assert_eq!(e["errorMessage"], "order is bad");
    assert!(e["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(e["stackTrace"].as_array().is_some_and(|t| t
        .iter()
        .any(|l| l.as_str().unwrap_or("").contains("main.py"))));

    let reply = call(&f.pool("python3.12", "nothere.handler", 1, 10), json!({})).await;
    assert!(reply.function_error);
    assert_eq!(
        json_of(&reply),
        json!({
            "errorMessage": "Unable to import module 'nothere': No module named 'nothere'",
            "errorType": "Runtime.ImportModuleError",
            "requestId": "",
            "stackTrace": [],
        })
    );
    let e = json_of(&call(&f.pool("python3.12", "app.main.absent", 1, 10), json!({})).await);
    assert_eq!(e["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(
        e["errorMessage"],
        "Handler 'absent' missing on module 'app.main'"
    );
}

#[tokio::test]
async fn provided_runtime_runs_the_functions_own_bootstrap() {
    if !have("python3") {
        return;
    }
    // A bootstrap of the function's own, speaking the Runtime API by itself.
    let f = fixture(&[(
        "bootstrap",
        r#"#!/usr/bin/env python3
import http.client, json, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
conn = http.client.HTTPConnection(host, int(port))
while True:
    conn.request("GET", "/2018-06-01/runtime/invocation/next")
    r = conn.getresponse()
    event = json.loads(r.read())
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    if event.get("fail"):
        conn.request("POST", "/2018-06-01/runtime/invocation/%s/error" % rid,
                     body=json.dumps({"errorMessage": "nope", "errorType": "CustomFailure"}),
                     headers={"Lambda-Runtime-Function-Error-Type": "CustomFailure"})
    else:
        out = {"handler": os.environ["_HANDLER"], "event": event,
               "deadline": int(r.getheader("Lambda-Runtime-Deadline-Ms")) > 0}
        conn.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid,
                     body=json.dumps(out))
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 202, answer.status
"#,
    )]);
    use std::os::unix::fs::PermissionsExt;
    let bootstrap = f.code.join("bootstrap");
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let pool = f.pool("provided.al2023", "bootstrap", 1, 10);
    let out = json_of(&call(&pool, json!({"n": 3})).await);
    assert_eq!(
        out,
        json!({"handler": "bootstrap", "event": {"n": 3}, "deadline": true})
    );
    let reply = call(&pool, json!({"fail": true})).await;
    assert!(reply.function_error);
    assert_eq!(
        json_of(&reply),
        json!({"errorMessage": "nope", "errorType": "CustomFailure"})
    );
    // Still the same warm process.
    assert!(!call(&pool, json!({})).await.cold_start);
}

#[tokio::test]
async fn a_result_over_six_megabytes_is_response_size_too_large_and_the_process_goes_on() {
    let cases = [
        (
            "node",
            "nodejs20.x",
            "big.js",
            "exports.handler = async (e) => e.big ? 'x'.repeat(7 * 1024 * 1024) : 'small';",
        ),
        (
            "python3",
            "python3.12",
            "big.py",
            "def handler(e, context):\n    return 'x' * (7 * 1024 * 1024) if e.get('big') else 'small'\n",
        ),
    ];
    for (program, runtime, file, code) in cases {
        if !have(program) {
            continue;
        }
        let f = fixture(&[(file, code)]);
        let pool = f.pool(runtime, "big.handler", 1, 10);
        let reply = call(&pool, json!({"big": true})).await;
        assert!(reply.function_error, "{runtime}");
        assert_eq!(
            json_of(&reply)["errorType"],
            "Function.ResponseSizeTooLarge"
        );
        for _ in 0..2 {
            assert_eq!(json_of(&call(&pool, json!({})).await), json!("small"));
        }
    }
}

#[tokio::test]
async fn the_runtime_api_answers_as_lambdas_does() {
    if !have("python3") {
        return;
    }
    // A bootstrap that probes the Runtime API and reports the status codes it got.
    let f = fixture(&[(
        "bootstrap",
        r#"#!/usr/bin/env python3
import http.client, json, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
conn = http.client.HTTPConnection(host, int(port))
def call(method, path, body=None):
    conn.request(method, path, body=body)
    r = conn.getresponse()
    return r.status, r.read(), r
while True:
    status, body, r = call("GET", "/2018-06-01/runtime/invocation/next")
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    headers = {k: r.getheader(k) for k in ["Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Client-Context", "Lambda-Runtime-Cognito-Identity"]}
    trace = r.getheader("Lambda-Runtime-Trace-Id") or ""
    wrong, wrong_body, _ = call("POST", "/2018-06-01/runtime/invocation/not-this-one/response", b"{}")
    missing, _, _ = call("GET", "/2018-06-01/runtime/elsewhere")
    out = {"next": status, "wrong": wrong, "wrong_body": json.loads(wrong_body), "missing": missing,
           "headers": headers, "trace": trace.startswith("Root=1-"), "event": json.loads(body)}
    status, answer, _ = call("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, json.dumps(out))
    again, _, _ = call("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, b"{}")
    assert status == 202 and json.loads(answer) == {"status": "OK"}, (status, answer)
    assert again == 400, again
"#,
    )]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        f.code.join("bootstrap"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    let pool = f.pool("provided.al2", "bootstrap", 1, 10);
    let reply = pool
        .invoke(Invoke {
            request_id: "req-1".into(),
            event: br#"{"a": 1}"#.to_vec().into(),
            invoked_arn: "arn:aws:lambda:eu-west-1:111111111111:function:fn:live".into(),
            sdk_env: sdk_env("111111111111"),
            client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
            cognito_identity: None,
            trace_header: None,
        })
        .await
        .expect("reaches the function");
    let out = json_of(&reply);
    assert_eq!(out["next"], 200);
    assert_eq!(out["wrong"], 400);
    assert_eq!(out["wrong_body"]["errorType"], "InvalidRequestID");
    assert_eq!(out["missing"], 404);
    assert_eq!(out["trace"], true);
    assert_eq!(out["event"], json!({"a": 1}));
    assert_eq!(
        out["headers"],
        json!({
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:111111111111:function:fn:live",
            "Lambda-Runtime-Client-Context": "{\"custom\":{\"k\":\"v\"}}",
            "Lambda-Runtime-Cognito-Identity": null,
        })
    );
    // The second answer for the same invocation was refused, and the process is still warm.
    assert!(!call(&pool, json!({})).await.cold_start);
}

#[tokio::test]
async fn idle_processes_are_stopped_and_the_next_invocation_starts_one() {
    if !have("node") {
        return;
    }
    let f = fixture(&[("p.js", "exports.handler = async () => process.pid;")]);
    let pool = f.pool("nodejs20.x", "p.handler", 1, 10);
    let pid = json_of(&call(&pool, json!({})).await);
    pool.stop_idle_since(Duration::from_secs(3600));
    assert_eq!(pool.idle_pids().len(), 1, "recently used: kept");
    pool.stop_idle_since(Duration::ZERO);
    assert!(pool.idle_pids().is_empty());
    let reply = call(&pool, json!({})).await;
    assert!(reply.cold_start);
    assert_ne!(json_of(&reply), pid);
}

#[tokio::test]
async fn node_large_events_and_client_context() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "big.js",
        "exports.handler = async (e, context) => ({ length: e.text.length, custom: context.clientContext && context.clientContext.custom });",
    )]);
    let pool = f.pool("nodejs20.x", "big.handler", 1, 10);
    let text = "y".repeat(5 * 1024 * 1024);
    for _ in 0..2 {
        let reply = pool
            .invoke(Invoke {
                request_id: uuid::Uuid::new_v4().to_string(),
                event: json!({ "text": text }).to_string().into_bytes().into(),
                invoked_arn: "arn:aws:lambda:eu-west-1:111111111111:function:fn".into(),
                sdk_env: sdk_env("111111111111"),
                client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
                cognito_identity: None,
                trace_header: None,
            })
            .await
            .expect("reaches the function");
        assert_eq!(
            json_of(&reply),
            json!({"length": 5 * 1024 * 1024, "custom": {"k": "v"}})
        );
    }
}

#[tokio::test]
async fn node_uncaught_errors_fail_the_invocation_and_replace_the_process() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "bad.js",
        r#"
exports.handler = async (e) => {
  if (e.throwLater) {
    await new Promise(() => setTimeout(() => { throw new RangeError('late'); }, 5));
  }
  if (e.reject) {
    Promise.reject(new Error('nobody waits'));
    await new Promise((r) => setTimeout(r, 1000));
  }
  return process.pid;
};
"#,
    )]);
    let pool = f.pool("nodejs20.x", "bad.handler", 1, 10);
    let first = json_of(&call(&pool, json!({})).await);
    let e = json_of(&call(&pool, json!({"throwLater": true})).await);
    assert_eq!(e["errorType"], "RangeError");
    assert_eq!(e["errorMessage"], "late");
    let reply = call(&pool, json!({"reject": true})).await;
    assert!(reply.cold_start);
    let e = json_of(&reply);
    assert_eq!(e["errorType"], "Runtime.UnhandledPromiseRejection");
    assert_eq!(e["errorMessage"], "Error: nobody waits");
    let again = call(&pool, json!({})).await;
    assert!(again.cold_start);
    assert_ne!(json_of(&again), first);
}

#[test]
fn runtime_folders_go_with_their_process() {
    let parent = tempfile::tempdir().expect("temp");
    // Left by a process that no longer runs (no such pid), and one that is not ours to judge.
    let abandoned = parent.path().join("runtimes-4294967-abc");
    let other = parent.path().join("something-else");
    std::fs::create_dir_all(abandoned.join("nodejs")).expect("abandoned");
    std::fs::create_dir_all(&other).expect("other");
    let runtimes = Runtimes::new(Some(parent.path())).expect("runtimes");
    assert!(!abandoned.exists());
    assert!(other.exists());
    let ours: Vec<_> = std::fs::read_dir(parent.path())
        .expect("list")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("runtimes-{}-", std::process::id()))
        })
        .map(|e| e.path())
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].join("nodejs/bootstrap.cjs").is_file());
    assert!(ours[0].join("python/bootstrap.py").is_file());
    drop(runtimes);
    assert!(!ours[0].exists());
}

#[tokio::test]
async fn node_callback_handlers_wait_for_the_empty_event_loop_as_lambda_does() {
    if !have("node") {
        return;
    }
    let f = fixture(&[(
        "loop.js",
        r#"
// The callback's result is sent once the timer it left has run (the default), or at once.
exports.waits = (event, context, callback) => {
  setTimeout(() => console.log('timer ran'), 30);
  callback(null, 'called back');
};
exports.early = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log('late timer ran'), 300);
  callback(null, 'early');
};
// A value a non-async handler returns is not its result: Lambda answers null.
exports.sync = (event, context) => 42;
"#,
    )]);
    let reply = call(&f.pool("nodejs20.x", "loop.waits", 1, 10), json!({})).await;
    assert_eq!(json_of(&reply), json!("called back"));
    assert!(
        reply.log_tail.contains("INFO\ttimer ran"),
        "{}",
        reply.log_tail
    );
    let reply = call(&f.pool("nodejs20.x", "loop.early", 1, 10), json!({})).await;
    assert_eq!(json_of(&reply), json!("early"));
    assert!(
        !reply.log_tail.contains("late timer ran"),
        "{}",
        reply.log_tail
    );
    let reply = call(&f.pool("nodejs20.x", "loop.sync", 1, 10), json!({})).await;
    assert_eq!(json_of(&reply), Value::Null);
}
