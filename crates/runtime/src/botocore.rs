//! AWS's service models for TestState's mock validation, read from an installed botocore
//! (`pip install botocore`), or from `BATON_BOTOCORE_DATA` pointing at its `data` folder. Baton
//! does not ship them.

use std::fs;
use std::path::{Path, PathBuf};

use baton_engine::teststate::{ServiceModel, ServiceModels};
use serde_json::Value;

/// Services whose results the corpus's mocks are checked against.
const SERVICES: &[&str] = &[
    "athena",
    "batch",
    "bedrock-runtime",
    "codebuild",
    "dynamodb",
    "ecs",
    "eks",
    "emr",
    "emr-containers",
    "emr-serverless",
    "events",
    "kms",
    "lambda",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "stepfunctions",
];

/// botocore's `data` folder: `BATON_BOTOCORE_DATA`, else the installed Python package's.
pub fn botocore_data() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("BATON_BOTOCORE_DATA") {
        return Some(PathBuf::from(dir));
    }
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))",
        ])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && dir.is_dir()).then_some(dir)
}

/// The newest `service-2.json` (plain or gzipped) of each service.
pub fn load_models(data: &Path) -> ServiceModels {
    let mut models = ServiceModels::empty();
    for service in SERVICES {
        let Ok(versions) = fs::read_dir(data.join(service)) else {
            continue;
        };
        let Some(newest) = versions
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .max()
        else {
            continue;
        };
        let text = match fs::read(newest.join("service-2.json.gz")) {
            Ok(gz) => {
                let mut text = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&gz[..]),
                    &mut text,
                )
                .ok();
                text
            }
            Err(_) => fs::read_to_string(newest.join("service-2.json")).unwrap_or_default(),
        };
        if let Some(model) = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| ServiceModel::from_botocore(&v).ok())
        {
            models.insert(service, model);
        }
    }
    models
}

/// The models of an installed botocore, or `None` when there is none.
pub fn installed() -> Option<ServiceModels> {
    botocore_data().map(|d| load_models(&d))
}
