//! The registry of service models: built-in models found by their Step Functions names,
//! configured folders before them, an installed botocore after them, and what an unknown service
//! is told.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use baton_aws::registry::{builtin_services, LookupError, Registry};

/// A fresh empty folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "baton-aws-registry-{label}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The installed botocore's `data` folder, as the registry finds it; `None` (the test skipped)
/// when there is none, which `BATON_CI_STRICT=1` turns into a failure.
fn installed_botocore(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("BATON_BOTOCORE_DATA")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            let out = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))",
                ])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
        .filter(|d| d.is_dir());
    if dir.is_none() {
        let reason = format!(
            "{test}: skipped: no botocore found (`pip install botocore`, or BATON_BOTOCORE_DATA naming its `data` folder)"
        );
        assert!(
            std::env::var("BATON_CI_STRICT").as_deref() != Ok("1"),
            "{reason}, and BATON_CI_STRICT=1 forbids skipping"
        );
        eprintln!("{reason}");
    }
    dir
}

const BUILTIN: &[(&str, &str, &str, &str)] = &[
    // (Step Functions name, Java name, botocore folder, an action)
    ("athena", "Athena", "athena", "startQueryExecution"),
    ("batch", "Batch", "batch", "submitJob"),
    (
        "bedrockruntime",
        "BedrockRuntime",
        "bedrock-runtime",
        "invokeModel",
    ),
    ("codebuild", "CodeBuild", "codebuild", "startBuild"),
    ("dynamodb", "DynamoDb", "dynamodb", "putItem"),
    ("ecs", "Ecs", "ecs", "runTask"),
    ("eventbridge", "EventBridge", "events", "putEvents"),
    ("glue", "Glue", "glue", "startJobRun"),
    ("lambda", "Lambda", "lambda", "invoke"),
    ("sagemaker", "SageMaker", "sagemaker", "createTrainingJob"),
    ("sfn", "Sfn", "stepfunctions", "startExecution"),
    ("sns", "Sns", "sns", "publish"),
    ("sqs", "Sqs", "sqs", "sendMessage"),
    ("sts", "Sts", "sts", "assumeRole"),
];

#[test]
fn every_builtin_service_is_found_by_its_step_functions_name() {
    let mut listed: Vec<&str> = builtin_services().collect();
    listed.sort();
    let mut expected: Vec<&str> = BUILTIN.iter().map(|b| b.0).collect();
    expected.sort();
    assert_eq!(listed, expected);

    let empty = TempDir::new("empty");
    for registry in [
        Registry::builtin_only(),
        Registry::with_dirs(
            vec![empty.path().to_path_buf()],
            Some(empty.path().to_path_buf()),
        ),
    ] {
        for (sfn, java, botocore, action) in BUILTIN {
            let service = registry.service(sfn).unwrap();
            assert_eq!(service.sfn_name, *sfn);
            assert_eq!(service.java_name, *java);
            assert_eq!(service.botocore_name, *botocore);
            let op = service
                .operation_for_action(action)
                .unwrap_or_else(|| panic!("{sfn}:{action}"));
            assert_eq!(baton_aws::names::action_name(&op.name), *action);
        }
    }
}

#[test]
fn actions_are_exact_and_unknown_ones_are_refused_with_a_hint() {
    let registry = Registry::builtin_only();
    let dynamodb = registry.service("dynamodb").unwrap();
    assert_eq!(
        dynamodb.operation_for_action("putItem").unwrap().name,
        "PutItem"
    );
    assert!(dynamodb.operation_for_action("PutItem").is_none());
    assert!(dynamodb.operation_for_action("putitem").is_none());
    match dynamodb.action("putitem") {
        Err(LookupError::UnknownAction {
            service,
            action,
            message,
        }) => {
            assert_eq!(service, "dynamodb");
            assert_eq!(action, "putitem");
            assert!(message.contains("did you mean `putItem`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let (service, operation) = registry.operation("sfn", "sendTaskSuccess").unwrap();
    assert_eq!(service.java_name, "Sfn");
    assert_eq!(operation, "SendTaskSuccess");
}

#[test]
fn errors_are_named_as_step_functions_names_them() {
    let registry = Registry::builtin_only();
    let dynamodb = registry.service("dynamodb").unwrap();
    assert_eq!(
        dynamodb.error_name("ResourceNotFoundException"),
        "DynamoDb.ResourceNotFoundException"
    );
    assert_eq!(
        dynamodb.error_name("ValidationException"),
        "DynamoDb.DynamoDbException"
    );
    let sfn = registry.service("sfn").unwrap();
    assert_eq!(sfn.error_name("InvalidToken"), "Sfn.InvalidTokenException");
    // SQS speaks JSON and models its errors by shape name; the query protocol's codes
    // (`AWS.SimpleQueueService.NonExistentQueue`, in `x-amzn-query-error`) are not the ones
    // exceptions are matched by.
    let sqs = registry.service("sqs").unwrap();
    assert_eq!(
        sqs.error_name("QueueDoesNotExist"),
        "Sqs.QueueDoesNotExistException"
    );
    let lambda = registry.service("lambda").unwrap();
    assert_eq!(
        lambda.error_name("KMSAccessDeniedException"),
        "Lambda.KmsAccessDeniedException"
    );
}

#[test]
fn a_service_without_a_model_says_what_to_install() {
    let empty = TempDir::new("nomodels");
    let registry = Registry::with_dirs(Vec::new(), Some(empty.path().to_path_buf()));
    match registry.service("secretsmanager") {
        Err(LookupError::UnknownService { name, message }) => {
            assert_eq!(name, "secretsmanager");
            for needle in [
                "pip install botocore",
                "BATON_BOTOCORE_DATA",
                "[aws] models",
                "secretsmanager/<version>/service-2.json",
                "Secrets Manager",
            ] {
                assert!(message.contains(needle), "{needle:?} not in {message}");
            }
        }
        other => panic!("{other:?}"),
    }
    // botocore's folder is not the Step Functions name: CloudWatch Logs is `logs`.
    let message = registry.service("cloudwatchlogs").unwrap_err().to_string();
    assert!(
        message.contains("logs/<version>/service-2.json"),
        "{message}"
    );

    let message = Registry::builtin_only()
        .service("nosuchservice")
        .unwrap_err()
        .to_string();
    assert!(message.contains("not an AWS service"), "{message}");
    assert!(
        message.contains("pip install --upgrade botocore"),
        "{message}"
    );
}

fn write_model(dir: &Path, folder: &str, version: &str, gz: bool, json: &str) {
    let dir = dir.join(folder).join(version);
    std::fs::create_dir_all(&dir).unwrap();
    if gz {
        let file = std::fs::File::create(dir.join("service-2.json.gz")).unwrap();
        let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        encoder.write_all(json.as_bytes()).unwrap();
        encoder.finish().unwrap();
    } else {
        std::fs::write(dir.join("service-2.json"), json).unwrap();
    }
}

fn model(service_id: &str, operation: &str) -> String {
    format!(
        r#"{{"version":"2.0","metadata":{{"apiVersion":"2020-01-01","endpointPrefix":"x",
        "protocol":"json","serviceId":"{service_id}","signatureVersion":"v4"}},
        "operations":{{"{operation}":{{"name":"{operation}","http":{{"method":"POST","requestUri":"/"}}}}}},
        "shapes":{{}}}}"#
    )
}

#[test]
fn configured_folders_come_before_the_builtin_models_and_are_indexed_by_service_id() {
    let configured = TempDir::new("configured");
    // Any folder name: the serviceId says which service it is. The newest version is taken.
    write_model(
        configured.path(),
        "my-dynamodb",
        "2000-01-01",
        false,
        &model("DynamoDB", "OldOperation"),
    );
    write_model(
        configured.path(),
        "my-dynamodb",
        "2030-01-01",
        false,
        &model("DynamoDB", "OnlyOperation"),
    );
    write_model(
        configured.path(),
        "secrets",
        "2017-10-17",
        true,
        &model("Secrets Manager", "GetSecretValue"),
    );
    let installed = TempDir::new("installed");
    // An installed botocore does not replace a built-in model.
    write_model(
        installed.path(),
        "sqs",
        "2030-01-01",
        true,
        &model("SQS", "NotTheBuiltIn"),
    );
    write_model(
        installed.path(),
        "logs",
        "2014-03-28",
        true,
        &model("CloudWatch Logs", "PutLogEvents"),
    );
    let registry = Registry::with_dirs(
        vec![configured.path().to_path_buf()],
        Some(installed.path().to_path_buf()),
    );

    let dynamodb = registry.service("dynamodb").unwrap();
    assert_eq!(dynamodb.botocore_name, "my-dynamodb");
    assert_eq!(dynamodb.model.operations.len(), 1);
    assert!(dynamodb.operation_for_action("onlyOperation").is_some());

    let secrets = registry.service("secretsmanager").unwrap();
    assert_eq!(secrets.java_name, "SecretsManager");
    assert!(secrets.operation_for_action("getSecretValue").is_some());

    let sqs = registry.service("sqs").unwrap();
    assert!(sqs.operation_for_action("notTheBuiltIn").is_none());
    assert!(sqs.operation_for_action("sendMessage").is_some());

    let logs = registry.service("cloudwatchlogs").unwrap();
    assert_eq!(logs.botocore_name, "logs");
    assert_eq!(logs.java_name, "CloudWatchLogs");
}

#[test]
fn models_are_read_once_and_shared_between_threads() {
    let registry = Arc::new(Registry::builtin_only());
    let services: Vec<_> = (0..4)
        .map(|_| {
            let registry = registry.clone();
            std::thread::spawn(move || registry.service("sfn").unwrap())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let again = registry.service("sfn").unwrap();
    for service in &services {
        assert!(Arc::ptr_eq(service, &again));
    }
}

#[test]
fn services_only_an_installed_botocore_has_are_found() {
    let Some(data) = installed_botocore("services_only_an_installed_botocore_has_are_found") else {
        return;
    };
    // As a Task would: the environment's and Python's botocore.
    let registry = Registry::new(Vec::new());
    for (sfn, java, botocore, action) in [
        (
            "secretsmanager",
            "SecretsManager",
            "secretsmanager",
            "getSecretValue",
        ),
        ("ec2", "Ec2", "ec2", "describeInstances"),
        ("cloudwatchlogs", "CloudWatchLogs", "logs", "putLogEvents"),
        ("s3", "S3", "s3", "getObject"),
        ("apigateway", "ApiGateway", "apigateway", "getRestApis"),
        ("acmpca", "AcmPca", "acm-pca", "issueCertificate"),
    ] {
        let service = registry
            .service(sfn)
            .unwrap_or_else(|e| panic!("{sfn} in {}: {e}", data.display()));
        assert_eq!(service.java_name, java);
        assert_eq!(service.botocore_name, botocore);
        assert!(
            service.operation_for_action(action).is_some(),
            "{sfn}:{action}"
        );
    }
    let s3 = registry.service("s3").unwrap();
    assert_eq!(s3.error_name("NoSuchKey"), "S3.NoSuchKeyException");
    assert_eq!(
        s3.error_name("BucketAlreadyExists"),
        "S3.BucketAlreadyExistsException"
    );
    assert_eq!(s3.error_name("SignatureDoesNotMatch"), "S3.S3Exception");
}

#[test]
fn every_installed_model_is_read() {
    let Some(data) = installed_botocore("every_installed_model_is_read") else {
        return;
    };
    let registry = Registry::with_dirs(Vec::new(), Some(data.clone()));
    let mut read = 0;
    for entry in std::fs::read_dir(&data).unwrap() {
        let folder = entry.unwrap().path();
        let Some(versions) = std::fs::read_dir(&folder).ok() else {
            continue;
        };
        let Some(model) = versions
            .filter_map(|v| v.ok().map(|v| v.path()))
            .filter(|v| v.join("service-2.json.gz").is_file() || v.join("service-2.json").is_file())
            .max()
        else {
            continue;
        };
        let path = [
            model.join("service-2.json.gz"),
            model.join("service-2.json"),
        ]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()),
            &mut text,
        )
        .ok();
        let value: serde_json::Value = if text.is_empty() {
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let service_id = value["metadata"]["serviceId"].as_str().unwrap();
        let sfn = baton_aws::names::sfn_service_name(service_id);
        let service = registry
            .service(&sfn)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        assert_eq!(service.model.metadata.service_id, service_id);
        read += 1;
    }
    assert!(read > 300, "only {read} models under {}", data.display());
}
