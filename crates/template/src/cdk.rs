//! A CDK cloud assembly (`cdk.out`): `manifest.json` lists the stacks
//! (`aws:cloudformation:stack` artifacts, `properties.templateFile`) and the asset manifests
//! (`cdk:asset-manifest`, `properties.file`), whose `files` map each asset's hash to its
//! `source.path` (a folder or file in the assembly) and `destinations` (the `objectKey` the
//! templates name in `S3Key`, `Key` or `DefinitionS3Location`), as the CDK's cloud assembly
//! schema defines them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Error, Options, Stack};

/// The assets of an assembly: each destination's object key, and the local path it is
/// uploaded from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assets {
    by_key: BTreeMap<String, PathBuf>,
}

impl Assets {
    /// The local folder or file the object `key` is made from.
    pub fn find(&self, key: &str) -> Option<PathBuf> {
        self.by_key.get(key).cloned()
    }

    /// Reads one asset manifest (`*.assets.json`); paths resolve against `dir`.
    pub fn read_manifest(&mut self, file: &Path, dir: &Path) -> Result<(), Error> {
        let shown = file.display().to_string();
        let v = read_json(file)?;
        let Some(files) = v.get("files").and_then(Value::as_object) else {
            return Ok(());
        };
        for (hash, asset) in files {
            let Some(source) = asset
                .get("source")
                .and_then(|s| s.get("path"))
                .and_then(Value::as_str)
            else {
                // An asset built by a command (`executable`) has no local path to run.
                continue;
            };
            let local = dir.join(source);
            if !local.exists() {
                return Err(Error::new(
                    &shown,
                    &format!("files.{hash}.source.path"),
                    format!("{source} not found"),
                ));
            }
            let local = std::path::absolute(&local).unwrap_or(local);
            for dest in asset
                .get("destinations")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|d| d.values())
            {
                if let Some(key) = dest.get("objectKey").and_then(Value::as_str) {
                    self.by_key.insert(key.to_string(), local.clone());
                }
            }
        }
        Ok(())
    }
}

fn read_json(file: &Path) -> Result<Value, Error> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::new(&shown, "", format!("cannot read it: {e}")))?;
    serde_json::from_str(&text).map_err(|e| Error::new(&shown, "", format!("not JSON: {e}")))
}

/// Every stack of the assembly in `dir`, in one [`Stack`].
pub fn load(dir: &Path, options: &Options) -> Result<Stack, Error> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let manifest_file = dir.join("manifest.json");
    let shown = manifest_file.display().to_string();
    let manifest = read_json(&manifest_file)?;
    let Some(artifacts) = manifest.get("artifacts").and_then(Value::as_object) else {
        return Err(Error::new(
            &shown,
            "artifacts",
            "missing: not a cloud assembly manifest",
        ));
    };
    let mut assets = Assets::default();
    for (id, artifact) in artifacts {
        if artifact.get("type").and_then(Value::as_str) == Some("cdk:asset-manifest") {
            let Some(file) = artifact
                .get("properties")
                .and_then(|p| p.get("file"))
                .and_then(Value::as_str)
            else {
                return Err(Error::new(
                    &shown,
                    &format!("artifacts.{id}.properties.file"),
                    "missing",
                ));
            };
            assets.read_manifest(&dir.join(file), &dir)?;
        }
    }
    let stacks = artifacts
        .values()
        .filter(|a| a.get("type").and_then(Value::as_str) == Some("aws:cloudformation:stack"))
        .count();
    // The overrides are shared by the assembly's stacks: each takes those it declares.
    let shared;
    let options = if stacks > 1 {
        shared = Options {
            allow_undeclared: true,
            ..options.clone()
        };
        &shared
    } else {
        options
    };
    let mut stack = Stack::default();
    let mut found = false;
    for (id, artifact) in artifacts {
        if artifact.get("type").and_then(Value::as_str) != Some("aws:cloudformation:stack") {
            continue;
        }
        found = true;
        let props = artifact.get("properties");
        let Some(template) = props
            .and_then(|p| p.get("templateFile"))
            .and_then(Value::as_str)
        else {
            return Err(Error::new(
                &shown,
                &format!("artifacts.{id}.properties.templateFile"),
                "missing",
            ));
        };
        let stack_name = options.stack_name.clone().unwrap_or_else(|| {
            props
                .and_then(|p| p.get("stackName"))
                .and_then(Value::as_str)
                .unwrap_or(id)
                .to_string()
        });
        let file = dir.join(template);
        let file_shown = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::new(&file_shown, "", format!("cannot read it: {e}")))?;
        let one = crate::read_str(&text, &file_shown, &dir, options, &stack_name, &assets)?;
        stack.machines.extend(one.machines);
        stack.functions.extend(one.functions);
        stack.activities.extend(one.activities);
        stack.skipped.extend(one.skipped);
    }
    if !found {
        return Err(Error::new(
            &shown,
            "artifacts",
            "no stack (aws:cloudformation:stack) in the assembly",
        ));
    }
    Ok(stack)
}
