//! Which model a service is called with: the models built into Baton, folders of models the
//! configuration names, and an installed botocore's.
//!
//! A service is looked up by its Step Functions name, the `<service>` of
//! `arn:aws:states:::aws-sdk:<service>:<action>` (`dynamodb`, `sfn`, `eventbridge`,
//! `cloudwatchlogs`): the AWS SDK for Java 2.x's service name in lower case, which that SDK
//! derives from the model's `metadata.serviceId` ([`names::sfn_service_name`]). Folders of
//! models are indexed by that name, so a model is found whatever its folder is called.
//!
//! Where a service's model is taken from, first found first:
//! 1. the folders given to [`Registry::new`] (`[aws] models` in `baton.toml`), in order: a
//!    model there replaces the built-in one, to call a service with a newer (or older) model;
//! 2. the models built into Baton ([`builtin_services`]);
//! 3. the installed botocore: the folder `BATON_BOTOCORE_DATA` names, else the `data` folder of
//!    the Python package `botocore`, asked of `python3` once, when a service is not found in
//!    the above. An installed botocore never replaces a built-in model, so that what Baton
//!    sends does not change with whatever Python package is installed.
//!
//! Every folder is in botocore's `data` layout: `<dir>/<botocore name>/<version>/service-2.json`
//! or `service-2.json.gz`; the newest version of each service is taken. Models are read when
//! first looked up and kept.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::model::{Operation, ServiceModel};
use crate::models;
use crate::names;

/// The variable naming botocore's `data` folder, in place of the installed Python package's.
pub const BOTOCORE_DATA_ENV: &str = "BATON_BOTOCORE_DATA";

/// A service's model and its names.
#[derive(Debug, Clone)]
pub struct Service {
    pub model: ServiceModel,
    /// The name in `arn:aws:states:::aws-sdk:<name>:<action>` (`dynamodb`, `sfn`).
    pub sfn_name: String,
    /// The AWS SDK for Java 2.x's name (`DynamoDb`, `Sfn`): errors' prefix.
    pub java_name: String,
    /// botocore's folder (`dynamodb`, `stepfunctions`).
    pub botocore_name: String,
}

impl Service {
    /// A service from its model, named after the model's serviceId.
    pub fn new(model: ServiceModel, botocore_name: impl Into<String>) -> Service {
        let java_name = names::java_service_name(&model.metadata.service_id);
        Service {
            sfn_name: java_name.to_ascii_lowercase(),
            java_name,
            botocore_name: botocore_name.into(),
            model,
        }
    }

    /// The operation a Step Functions action names (`putItem` → `PutItem`): the operation whose
    /// Java 2.x method name ([`names::action_name`]) is `action`, exactly.
    pub fn operation_for_action(&self, action: &str) -> Option<&Operation> {
        let operations = &self.model.operations;
        if let Some(op) = operations.get(&names::operation_name(action)) {
            if names::action_name(&op.name) == action {
                return Some(op);
            }
        }
        operations
            .iter()
            .filter(|(name, _)| names::action_name(name) == action)
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, op)| op)
    }

    /// [`Service::operation_for_action`], or an error that says which actions are near.
    pub fn action(&self, action: &str) -> Result<&Operation, LookupError> {
        if let Some(op) = self.operation_for_action(action) {
            return Ok(op);
        }
        let mut message = format!(
            "the service `{}` has no action `{action}`: actions are its API's operations in \
             camel case (`{}`)",
            self.sfn_name,
            self.example_action()
        );
        let near: Option<String> = self
            .model
            .operations
            .keys()
            .map(|name| names::action_name(name))
            .filter(|a| a.eq_ignore_ascii_case(action))
            .min();
        if let Some(near) = near {
            message.push_str(&format!("; did you mean `{near}`?"));
        }
        Err(LookupError::UnknownAction {
            service: self.sfn_name.clone(),
            action: action.to_string(),
            message,
        })
    }

    /// The Java 2.x exception an error code is named after (`ResourceNotFoundException`,
    /// `DynamoDbException`): [`names::exception_name`].
    pub fn exception_name(&self, code: &str) -> String {
        names::exception_name(self, code)
    }

    /// The error Step Functions names an error code (`DynamoDb.ResourceNotFoundException`):
    /// [`names::error_name`].
    pub fn error_name(&self, code: &str) -> String {
        names::error_name(self, code)
    }

    fn example_action(&self) -> String {
        self.model
            .operations
            .keys()
            .min()
            .map(|name| names::action_name(name))
            .unwrap_or_default()
    }
}

/// A service or action no model has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No model of the service was found; `message` says what to install or configure.
    #[error("{message}")]
    UnknownService { name: String, message: String },
    /// The service's model has no such action.
    #[error("{message}")]
    UnknownAction {
        service: String,
        action: String,
        message: String,
    },
    /// A model file was found but could not be read.
    #[error("{message}")]
    InvalidModel {
        name: String,
        path: PathBuf,
        message: String,
    },
}

/// The Step Functions names of the services built into Baton, in order.
pub fn builtin_services() -> impl Iterator<Item = &'static str> {
    models::BUILTIN.iter().map(|b| b.sfn_name)
}

/// The service models Baton calls services with. `Send + Sync`; share one per process.
pub struct Registry {
    configured: Vec<Folder>,
    installed: Installed,
    services: Mutex<HashMap<String, Arc<Service>>>,
}

enum Installed {
    /// Built-in models and configured folders only.
    Nothing,
    /// A botocore `data` folder, named by the configuration or `BATON_BOTOCORE_DATA`.
    Folder(Folder),
    /// The installed Python botocore's, found once when first needed.
    Python(OnceLock<Option<Folder>>),
}

impl Registry {
    /// The built-in models; before them, the models in `extra_model_dirs` (botocore's `data`
    /// layout, first found first); after them, those of `BATON_BOTOCORE_DATA`'s folder, or of
    /// the installed Python botocore when that variable is not set.
    pub fn new(extra_model_dirs: Vec<PathBuf>) -> Registry {
        let installed = match std::env::var_os(BOTOCORE_DATA_ENV) {
            Some(dir) if !dir.is_empty() => Installed::Folder(Folder::new(PathBuf::from(dir))),
            _ => Installed::Python(OnceLock::new()),
        };
        Registry::build(extra_model_dirs, installed)
    }

    /// The built-in models only: neither the environment nor Python is consulted.
    pub fn builtin_only() -> Registry {
        Registry::build(Vec::new(), Installed::Nothing)
    }

    /// The models in `extra_model_dirs`, the built-in ones, then those of `botocore_data` (a
    /// botocore `data` folder), neither the environment nor Python consulted.
    pub fn with_dirs(extra_model_dirs: Vec<PathBuf>, botocore_data: Option<PathBuf>) -> Registry {
        let installed = match botocore_data {
            Some(dir) => Installed::Folder(Folder::new(dir)),
            None => Installed::Nothing,
        };
        Registry::build(extra_model_dirs, installed)
    }

    fn build(extra_model_dirs: Vec<PathBuf>, installed: Installed) -> Registry {
        Registry {
            configured: extra_model_dirs.into_iter().map(Folder::new).collect(),
            installed,
            services: Mutex::new(HashMap::new()),
        }
    }

    /// The service `arn:aws:states:::aws-sdk:<sfn_name>:…` calls (`dynamodb`, `sfn`,
    /// `eventbridge`), its model read once and kept.
    pub fn service(&self, sfn_name: &str) -> Result<Arc<Service>, LookupError> {
        if let Some(service) = self.cached(sfn_name) {
            return Ok(service);
        }
        let service = Arc::new(self.load(sfn_name)?);
        let mut services = self.services.lock().unwrap_or_else(|e| e.into_inner());
        Ok(services
            .entry(sfn_name.to_string())
            .or_insert(service)
            .clone())
    }

    /// `service(sfn_name)` and the operation `action` names.
    pub fn operation(
        &self,
        sfn_name: &str,
        action: &str,
    ) -> Result<(Arc<Service>, String), LookupError> {
        let service = self.service(sfn_name)?;
        let name = service.action(action)?.name.clone();
        Ok((service, name))
    }

    fn cached(&self, sfn_name: &str) -> Option<Arc<Service>> {
        let services = self.services.lock().unwrap_or_else(|e| e.into_inner());
        services.get(sfn_name).cloned()
    }

    fn load(&self, sfn_name: &str) -> Result<Service, LookupError> {
        for folder in &self.configured {
            if let Some(entry) = folder.find(sfn_name) {
                return read_service(sfn_name, &entry);
            }
        }
        if let Some(builtin) = models::BUILTIN.iter().find(|b| b.sfn_name == sfn_name) {
            let model = ServiceModel::from_json(builtin.json).map_err(|message| {
                LookupError::InvalidModel {
                    name: sfn_name.to_string(),
                    path: PathBuf::from(format!(
                        "<built-in {}/{}>",
                        builtin.botocore_name, builtin.api_version
                    )),
                    message,
                }
            })?;
            return Ok(Service::new(model, builtin.botocore_name));
        }
        let installed = match &self.installed {
            Installed::Nothing => None,
            Installed::Folder(folder) => Some(folder),
            Installed::Python(found) => found
                .get_or_init(|| python_botocore_data().map(Folder::new))
                .as_ref(),
        };
        if let Some(entry) = installed.and_then(|folder| folder.find(sfn_name)) {
            return read_service(sfn_name, &entry);
        }
        Err(self.unknown(sfn_name, installed.map(|f| f.dir.as_path())))
    }

    fn unknown(&self, sfn_name: &str, installed: Option<&Path>) -> LookupError {
        let searched: Vec<String> = self
            .configured
            .iter()
            .map(|f| f.dir.display().to_string())
            .chain(installed.map(|d| d.display().to_string()))
            .collect();
        let searched = if searched.is_empty() {
            "no folder of models is configured and no botocore is installed".to_string()
        } else {
            format!("searched {}", searched.join(", "))
        };
        let configure = format!(
            "set `[aws] models` in baton.toml or {BOTOCORE_DATA_ENV} to a folder in botocore's \
             `data` layout"
        );
        let message = match models::KNOWN.iter().find(|k| k.0 == sfn_name) {
            Some((_, botocore_name, service_id)) => format!(
                "no model of the AWS service `{sfn_name}` (serviceId `{service_id}`): Baton builds \
                 in only {}; install botocore (`pip install botocore`), whose models Baton reads, \
                 or {configure} holding `{botocore_name}/<version>/service-2.json` ({searched})",
                builtin_services().collect::<Vec<_>>().join(", ")
            ),
            None => format!(
                "`{sfn_name}` is not an AWS service Baton knows: a Task's \
                 `arn:aws:states:::aws-sdk:<service>:<action>` names the service as the AWS SDK \
                 for Java 2.x does, in lower case (`dynamodb`, `sfn`, `eventbridge`, \
                 `cloudwatchlogs`); a service newer than Baton is found in a newer botocore \
                 (`pip install --upgrade botocore`) or when you {configure} ({searched})"
            ),
        };
        LookupError::UnknownService {
            name: sfn_name.to_string(),
            message,
        }
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new(Vec::new())
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let installed = match &self.installed {
            Installed::Nothing => "none".to_string(),
            Installed::Folder(folder) => folder.dir.display().to_string(),
            Installed::Python(found) => match found.get() {
                None => "python botocore (not yet looked for)".to_string(),
                Some(None) => "none (python botocore not found)".to_string(),
                Some(Some(folder)) => folder.dir.display().to_string(),
            },
        };
        f.debug_struct("Registry")
            .field(
                "configured",
                &self.configured.iter().map(|f| &f.dir).collect::<Vec<_>>(),
            )
            .field("installed", &installed)
            .finish()
    }
}

/// A folder in botocore's `data` layout, indexed by Step Functions name when first searched.
struct Folder {
    dir: PathBuf,
    index: OnceLock<HashMap<String, Entry>>,
}

#[derive(Clone)]
struct Entry {
    botocore_name: String,
    path: PathBuf,
}

impl Folder {
    fn new(dir: PathBuf) -> Folder {
        Folder {
            dir,
            index: OnceLock::new(),
        }
    }

    /// The folder botocore names the service with, when it is there and its serviceId agrees;
    /// else the index of every folder, built once.
    fn find(&self, sfn_name: &str) -> Option<Entry> {
        if self.index.get().is_none() {
            let usual = models::KNOWN.iter().find(|k| k.0 == sfn_name).map(|k| k.1);
            if let Some(botocore_name) = usual {
                let path = newest_model(&self.dir.join(botocore_name));
                if let Some(path) = path.filter(|p| {
                    read_service_id(p).is_some_and(|id| names::sfn_service_name(&id) == sfn_name)
                }) {
                    return Some(Entry {
                        botocore_name: botocore_name.to_string(),
                        path,
                    });
                }
            }
        }
        self.index
            .get_or_init(|| index(&self.dir))
            .get(sfn_name)
            .cloned()
    }
}

/// Each service folder's newest model by the Step Functions name of its serviceId; of two
/// folders with one serviceId, the one botocore names the service with, else the first by name.
fn index(dir: &Path) -> HashMap<String, Entry> {
    let mut index = HashMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        tracing::debug!(dir = %dir.display(), "no folder of service models there");
        return index;
    };
    let mut services: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    services.sort();
    for (botocore_name, folder) in services {
        let Some(path) = newest_model(&folder) else {
            continue;
        };
        let Some(service_id) = read_service_id(&path) else {
            tracing::debug!(path = %path.display(), "a service model without a serviceId");
            continue;
        };
        let sfn_name = names::sfn_service_name(&service_id);
        let usual = models::KNOWN
            .iter()
            .any(|k| k.0 == sfn_name && k.1 == botocore_name);
        if usual || !index.contains_key(&sfn_name) {
            index.insert(
                sfn_name,
                Entry {
                    botocore_name,
                    path,
                },
            );
        }
    }
    index
}

/// `<service folder>/<newest version>/service-2.json[.gz]`.
fn newest_model(service: &Path) -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = fs::read_dir(service)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    versions.sort();
    versions.iter().rev().find_map(|version| {
        ["service-2.json.gz", "service-2.json"]
            .iter()
            .map(|name| version.join(name))
            .find(|p| p.is_file())
    })
}

fn open_model(path: &Path) -> std::io::Result<Box<dyn Read>> {
    let file = fs::File::open(path)?;
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(flate2::read::GzDecoder::new(
            std::io::BufReader::new(file),
        )))
    } else {
        Ok(Box::new(std::io::BufReader::new(file)))
    }
}

/// The model's `metadata.serviceId`, read from the head of the file (botocore's models start
/// with their metadata), else from the whole model.
fn read_service_id(path: &Path) -> Option<String> {
    const HEAD: usize = 64 * 1024;
    let mut reader = open_model(path).ok()?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while head.len() < HEAD {
        let n = reader.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(id) = service_id_in(&head) {
            return Some(id);
        }
    }
    let mut text = String::from_utf8(head).ok()?;
    reader.read_to_string(&mut text).ok()?;
    let model: serde_json::Value = serde_json::from_str(&text).ok()?;
    model["metadata"]["serviceId"].as_str().map(str::to_string)
}

/// `"serviceId": "<string>"` in a model's first bytes, once the string is complete.
fn service_id_in(head: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"serviceId\"";
    let at = head.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let rest = &head[at..];
    let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    if rest[colon] != b':' {
        return None;
    }
    let rest = &rest[colon + 1..];
    let quote = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    if rest[quote] != b'"' {
        return None;
    }
    let rest = &rest[quote..];
    let mut escaped = false;
    for (i, &b) in rest.iter().enumerate().skip(1) {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => {
                return serde_json::from_slice::<String>(&rest[..=i]).ok();
            }
            _ => {}
        }
    }
    None
}

fn read_service(sfn_name: &str, entry: &Entry) -> Result<Service, LookupError> {
    let invalid = |message: String| LookupError::InvalidModel {
        name: sfn_name.to_string(),
        path: entry.path.clone(),
        message: format!(
            "the model of `{sfn_name}` at {} could not be read: {message}",
            entry.path.display()
        ),
    };
    let mut text = String::new();
    open_model(&entry.path)
        .and_then(|mut r| r.read_to_string(&mut text))
        .map_err(|e| invalid(e.to_string()))?;
    let model = ServiceModel::from_json(&text).map_err(invalid)?;
    tracing::debug!(service = sfn_name, path = %entry.path.display(), "service model read");
    Ok(Service::new(model, entry.botocore_name.clone()))
}

/// The installed Python botocore's `data` folder.
fn python_botocore_data() -> Option<PathBuf> {
    const PROBE: &str =
        "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))";
    ["python3", "python"].iter().find_map(|python| {
        let out = std::process::Command::new(python)
            .args(["-c", PROBE])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        (out.status.success() && dir.is_dir()).then_some(dir)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_id_is_read_from_the_head() {
        assert_eq!(
            service_id_in(br#"{"metadata":{"apiVersion":"x", "serviceId" : "API Gateway","#),
            Some("API Gateway".to_string())
        );
        assert_eq!(service_id_in(br#"{"metadata":{"serviceId":"API Gat"#), None);
        assert_eq!(
            service_id_in(br#"{"serviceId":"a\"b"}"#),
            Some("a\"b".to_string())
        );
    }

    #[test]
    fn the_generated_names_are_names_rs_names() {
        for (sfn, _, service_id) in models::KNOWN {
            assert_eq!(names::sfn_service_name(service_id), *sfn, "{service_id}");
        }
        for builtin in models::BUILTIN {
            let model = ServiceModel::from_json(builtin.json).unwrap();
            assert_eq!(
                names::sfn_service_name(&model.metadata.service_id),
                builtin.sfn_name
            );
        }
    }

    #[test]
    fn registry_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Registry>();
        check::<Service>();
    }
}
