//! Amazon S3 → EventBridge for the buckets in a local folder: a bucket whose notification
//! configuration has an `EventBridgeConfiguration` (`PutBucketNotificationConfiguration`)
//! sends "Object Created" and "Object Deleted" events to the default bus of the account that
//! configured it, for writes through the S3 endpoint and through `aws-sdk:s3` tasks alike
//! (Amazon S3 User Guide, "Using EventBridge" and "EventBridge event message structure").
//! S3's notifications "are designed to be delivered at least once" (User Guide, "Amazon S3
//! Event Notifications"): a write is answered once its event's deliveries are written, and
//! from then on they are made whatever happens to the node. (A crash between the object's
//! write and its event's loses the event.)
//!
//! A bucket's configuration is a file of its own, `<root>/.baton-buckets/<bucket>.json`: the
//! folder starts with a dot, which no bucket name can, so it is neither a bucket nor inside
//! one.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::S3Error;
use super::paths::bucket_dir;

/// Where bucket configurations are kept, under the root.
const CONFIG_DIR: &str = ".baton-buckets";

/// What [`ObjectEvents::emit`] answers: done once the event's deliveries are written.
pub type Emitted = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the events go: EventBridge's default bus of `account` in `region`.
pub trait ObjectEvents: Send + Sync {
    /// Matches `event` against the bus's rules and writes its deliveries; what cannot be
    /// written is logged by the implementation.
    fn emit(&self, account: &str, region: &str, event: Value) -> Emitted;
}

/// The sink, attached once the events service exists; shared by the storage and the S3
/// endpoint. Until attached, nothing is sent.
#[derive(Clone, Default)]
pub struct Sink(Arc<OnceLock<Arc<dyn ObjectEvents>>>);

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Sink(attached)"
        } else {
            "Sink(none)"
        })
    }
}

impl Sink {
    pub fn attach(&self, events: Arc<dyn ObjectEvents>) {
        let _ = self.0.set(events);
    }
}

/// A bucket's notification settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BucketEvents {
    /// Send events to EventBridge.
    pub eventbridge: bool,
    /// Whose default bus: the account and region of who configured it (the bucket's owner,
    /// as S3 sends "the 12-digit AWS account ID of the bucket owner").
    pub account: String,
    pub region: String,
}

fn config_path(root: &Path, bucket: &str) -> Result<PathBuf, S3Error> {
    // The name is checked as any bucket's is: one plain path component, no leading dot.
    bucket_dir(root, bucket)?;
    Ok(root.join(CONFIG_DIR).join(format!("{bucket}.json")))
}

/// The bucket's settings (none when it has no notification configuration). The bucket must
/// exist: `NoSuchBucket` otherwise.
pub(crate) fn read(root: &Path, bucket: &str) -> Result<Option<BucketEvents>, S3Error> {
    if !bucket_dir(root, bucket)?.is_dir() {
        return Err(S3Error::NoSuchBucket);
    }
    match std::fs::read(config_path(root, bucket)?) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(S3Error::io(&e)),
    }
}

/// Replaces the bucket's settings (`None`: no notifications), atomically.
pub(crate) fn write(
    root: &Path,
    bucket: &str,
    events: Option<&BucketEvents>,
) -> Result<(), S3Error> {
    if !bucket_dir(root, bucket)?.is_dir() {
        return Err(S3Error::NoSuchBucket);
    }
    let path = config_path(root, bucket)?;
    match events {
        None => match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(S3Error::io(&e)),
        },
        Some(events) => {
            let dir = root.join(CONFIG_DIR);
            std::fs::create_dir_all(&dir).map_err(|e| S3Error::io(&e))?;
            let temp = dir.join(format!(".{bucket}.{}.tmp", uuid::Uuid::new_v4()));
            let body = serde_json::to_vec(events).expect("settings serialise");
            std::fs::write(&temp, body).map_err(|e| S3Error::io(&e))?;
            std::fs::rename(&temp, &path).map_err(|e| S3Error::io(&e))
        }
    }
}

/// What happened to an object.
#[derive(Debug, Clone)]
pub enum Change {
    /// Written: its size and ETag (without quotes), and the API that wrote it
    /// (`PutObject`, `CopyObject`).
    Created {
        size: u64,
        etag: String,
        reason: &'static str,
    },
    Deleted,
}

/// The event S3 sends for `change` of `key` in `bucket` ("EventBridge event message
/// structure": `Object Created` with the object's key, size, etag and sequencer and the API
/// as `reason`; `Object Deleted` with `deletion-type` "Permanently Deleted" for a bucket
/// without versioning).
pub(crate) fn event(
    settings: &BucketEvents,
    bucket: &str,
    key: &str,
    change: &Change,
    requester: &str,
) -> Value {
    let now = chrono::Utc::now();
    let sequencer = format!("{:016X}", now.timestamp_nanos_opt().unwrap_or_default());
    let (detail_type, object, reason) = match change {
        Change::Created { size, etag, reason } => (
            "Object Created",
            json!({"key": key, "size": size, "etag": etag, "sequencer": sequencer}),
            *reason,
        ),
        Change::Deleted => (
            "Object Deleted",
            json!({"key": key, "sequencer": sequencer}),
            "DeleteObject",
        ),
    };
    let mut detail = json!({
        "version": "0",
        "bucket": {"name": bucket},
        "object": object,
        "request-id": uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase(),
        "requester": requester,
        "source-ip-address": "127.0.0.1",
        "reason": reason,
    });
    if matches!(change, Change::Deleted) {
        detail["deletion-type"] = json!("Permanently Deleted");
    }
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": settings.account,
        "time": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": settings.region,
        "resources": [format!("arn:aws:s3:::{bucket}")],
        "detail": detail,
    })
}

impl Sink {
    /// Sends the event of `change` when `bucket` under `root` has EventBridge notifications
    /// on, its deliveries written when this returns. `requester`: the caller's account, else
    /// the bucket owner's.
    pub async fn changed(
        &self,
        root: &Path,
        bucket: &str,
        key: &str,
        change: Change,
        requester: Option<&str>,
    ) {
        let Some(sink) = self.0.get() else {
            return;
        };
        let Ok(Some(settings)) = read(root, bucket) else {
            return;
        };
        if !settings.eventbridge {
            return;
        }
        let requester = requester.unwrap_or(&settings.account);
        let event = event(&settings, bucket, key, &change, requester);
        sink.emit(&settings.account, &settings.region, event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_kept_per_bucket_outside_every_bucket() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("in")).unwrap();
        assert_eq!(read(root.path(), "in").unwrap(), None);
        assert!(matches!(
            read(root.path(), "missing"),
            Err(S3Error::NoSuchBucket)
        ));
        assert!(read(root.path(), "../in").is_err());
        assert!(read(root.path(), ".baton-buckets").is_err());
        let on = BucketEvents {
            eventbridge: true,
            account: "111111111111".into(),
            region: "eu-west-1".into(),
        };
        write(root.path(), "in", Some(&on)).unwrap();
        assert_eq!(read(root.path(), "in").unwrap(), Some(on.clone()));
        let e = event(
            &on,
            "in",
            "a/b.csv",
            &Change::Created {
                size: 5,
                etag: "abc".into(),
                reason: "PutObject",
            },
            "222222222222",
        );
        assert_eq!(e["detail-type"], "Object Created");
        assert_eq!(e["source"], "aws.s3");
        assert_eq!(e["account"], "111111111111");
        assert_eq!(e["region"], "eu-west-1");
        assert_eq!(e["resources"], json!(["arn:aws:s3:::in"]));
        assert_eq!(e["detail"]["object"]["key"], "a/b.csv");
        assert_eq!(e["detail"]["object"]["size"], 5);
        assert_eq!(e["detail"]["requester"], "222222222222");
        let d = event(&on, "in", "a/b.csv", &Change::Deleted, "222222222222");
        assert_eq!(d["detail-type"], "Object Deleted");
        assert_eq!(d["detail"]["deletion-type"], "Permanently Deleted");
        write(root.path(), "in", None).unwrap();
        assert_eq!(read(root.path(), "in").unwrap(), None);
    }
}
