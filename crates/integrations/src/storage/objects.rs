//! Objects on disk: one file per object under `root/<bucket>/`, and a metadata sidecar per
//! object under `root/.baton-meta/<bucket>/` at the same relative path.
//!
//! The sidecar holds what a file cannot: the content type and other headers, user metadata,
//! and the ETag (MD5) and CRC32 so they are not recomputed on every read. It records the size and
//! modification time of the file it describes; a sidecar that does not match the file (missing,
//! or the file was replaced by hand) is ignored, the digests are computed from the file again,
//! and the headers fall back to S3's defaults. Files dropped into a bucket folder by hand are
//! therefore objects too.
//!
//! Writes are atomic: the bytes go to a temporary file in the destination folder (streamed
//! there by the S3 endpoint, never held whole in memory), are flushed to disk, and the file is
//! renamed over the old one; the sidecar is written the same way
//! afterwards. A reader between the two renames sees the new file with the old sidecar, which
//! no longer matches, so it never reports the old ETag for the new bytes. Writers of one key in
//! this process are serialised so a file and its sidecar come from the same write.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::error::S3Error;
use super::paths::{self, META_DIR, TEMP_PREFIX};

/// S3's content type for an object stored without one (as AWS reports it).
pub(crate) const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// The headers stored with an object and returned by GetObject and HeadObject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct Headers {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// User metadata, keys lower-cased as S3 returns them.
    pub metadata: BTreeMap<String, String>,
}

/// One object's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectInfo {
    pub size: u64,
    pub modified: SystemTime,
    /// MD5 of the content, lower-case hex, without quotes.
    pub md5_hex: String,
    /// CRC32 of the content, base64 of its big-endian bytes (S3's `ChecksumCRC32`).
    pub crc32: String,
    pub headers: Headers,
}

impl ObjectInfo {
    /// The ETag as S3 reports it: the MD5 in double quotes.
    pub(crate) fn etag(&self) -> String {
        format!("\"{}\"", self.md5_hex)
    }
}

/// What the sidecar file holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sidecar {
    size: u64,
    modified_secs: u64,
    modified_nanos: u32,
    md5: String,
    #[serde(rename = "ChecksumCRC32")]
    crc32: String,
    headers: Headers,
}

/// A precondition on a write (PutObject's `IfMatch` / `IfNoneMatch`).
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteCondition {
    /// The current ETag must be this one (quotes optional), or `*` for "exists".
    pub if_match: Option<String>,
    /// `*`: the key must not exist.
    pub if_none_match: Option<String>,
}

/// Writers of one key are serialised through one of these, chosen by a hash of its path.
static WRITE_LOCKS: [Mutex<()>; 64] = [const { Mutex::new(()) }; 64];

fn lock_for(path: &Path) -> MutexGuard<'static, ()> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    let slot = (hasher.finish() % WRITE_LOCKS.len() as u64) as usize;
    // A panic while holding the lock leaves nothing half-done that the next writer must not
    // see: the files themselves are only ever replaced by rename.
    WRITE_LOCKS[slot]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One bucket's folders.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub name: String,
    root: PathBuf,
    dir: PathBuf,
    canonical: PathBuf,
    meta_dir: PathBuf,
}

impl Bucket {
    /// The bucket named in a request: `NoSuchBucket` unless its folder exists as a real
    /// folder of the root. A bucket folder that is a symbolic link (out of the root, or to
    /// another bucket) is no bucket either: S3 answers `NoSuchBucket` for a name that names
    /// no bucket, and Baton never makes such a link, so nothing reached through one is served.
    pub(crate) fn open(root: &Path, name: &str) -> Result<Bucket, S3Error> {
        let dir = paths::bucket_dir(root, name)?;
        let canonical = match paths::own_folder(root, name) {
            Ok(Some(c)) => c,
            Ok(None) => return Err(S3Error::NoSuchBucket),
            Err(e) if is_missing(&e) => return Err(S3Error::NoSuchBucket),
            Err(e) => return Err(S3Error::io(&e)),
        };
        Ok(Bucket {
            name: name.to_string(),
            root: root.to_path_buf(),
            dir,
            canonical,
            meta_dir: root.join(META_DIR).join(name),
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The object's file, checked to stay inside the bucket. `NoSuchKey` when there is no
    /// file (a folder of other keys is not an object).
    fn object_file(&self, key: &str) -> Result<(PathBuf, Vec<String>), S3Error> {
        let segments = paths::key_segments(key)?;
        let path = paths::join(&self.dir, &segments);
        match paths::resolves_inside(&path, &self.canonical) {
            Ok(true) => {}
            Ok(false) => return Err(S3Error::AccessDenied),
            Err(e) if is_missing(&e) => return Err(S3Error::NoSuchKey),
            Err(e) => return Err(S3Error::io(&e)),
        }
        Ok((path, segments.into_iter().map(String::from).collect()))
    }

    fn sidecar_path(&self, segments: &[String]) -> PathBuf {
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        paths::join(&self.meta_dir, &refs)
    }

    /// The canonical metadata folder of this bucket when `.baton-meta` and the bucket's folder
    /// in it are real folders of the root (no link leads the sidecars elsewhere); `None` when
    /// they are missing (and `create` is false) or are not. `create` makes them first.
    fn meta_canonical(&self, create: bool) -> Result<Option<PathBuf>, S3Error> {
        let make = |dir: &Path| match fs::create_dir(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(S3Error::io(&e)),
        };
        let own = |parent: &Path, name: &str| match paths::own_folder(parent, name) {
            Ok(found) => Ok(found),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(S3Error::io(&e)),
        };
        let top = self.root.join(META_DIR);
        if create {
            make(&top)?;
        }
        // The top folder is checked before anything is made inside it.
        if own(&self.root, META_DIR)?.is_none() {
            return Ok(None);
        }
        if create {
            make(&self.meta_dir)?;
        }
        own(&top, &self.name)
    }

    /// Removes the bucket's metadata folder (DeleteBucket), only when it is a real folder of
    /// the root: through a link, `remove_dir_all` would empty a folder elsewhere.
    pub(crate) fn remove_meta_dir(&self) -> Result<(), S3Error> {
        if self.meta_canonical(false)?.is_none() {
            return Ok(());
        }
        match fs::remove_dir_all(&self.meta_dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(S3Error::io(&e)),
        }
    }

    /// The object's file, opened, and checked to be inside the bucket once open.
    fn open_object(&self, key: &str) -> Result<(fs::File, fs::Metadata, Vec<String>), S3Error> {
        let (path, segments) = self.object_file(key)?;
        let file = fs::File::open(&path).map_err(|e| missing_as_no_such_key(&e))?;
        paths::check_opened(&file, &self.canonical)?;
        let meta = file.metadata().map_err(|e| S3Error::io(&e))?;
        if !meta.is_file() {
            return Err(S3Error::NoSuchKey);
        }
        Ok((file, meta, segments))
    }

    /// HeadObject: the object's description without its bytes.
    pub(crate) fn head(&self, key: &str) -> Result<ObjectInfo, S3Error> {
        self.head_inner(key, true)
    }

    /// `cache`: whether a description computed from the file may be stored as its sidecar
    /// (not while a writer of the key holds its lock).
    fn head_inner(&self, key: &str, cache: bool) -> Result<ObjectInfo, S3Error> {
        let (path, _) = self.object_file(key)?;
        let (mut file, meta, segments) = self.open_object(key)?;
        if let Some(info) = self.sidecar_for(&segments, &meta) {
            return Ok(info);
        }
        let (md5_hex, crc32) = digest_reader(&mut file).map_err(|e| S3Error::io(&e))?;
        Ok(self.described(&path, &segments, &meta, md5_hex, crc32, cache))
    }

    /// GetObject: the object's description and its open file, positioned at the start, so
    /// the description and the bytes agree even while a writer replaces the object (the
    /// writer renames a new file into place; this one stays as it was).
    pub(crate) fn open_read(&self, key: &str) -> Result<(ObjectInfo, fs::File), S3Error> {
        let (path, _) = self.object_file(key)?;
        let (mut file, meta, segments) = self.open_object(key)?;
        let info = match self.sidecar_for(&segments, &meta) {
            Some(info) => info,
            None => {
                let (md5_hex, crc32) = digest_reader(&mut file).map_err(|e| S3Error::io(&e))?;
                file.seek(io::SeekFrom::Start(0))
                    .map_err(|e| S3Error::io(&e))?;
                self.described(&path, &segments, &meta, md5_hex, crc32, true)
            }
        };
        Ok((info, file))
    }

    /// GetObject for a task: the description and the bytes. Objects over `limit` bytes are
    /// refused before reading.
    pub(crate) fn read(&self, key: &str, limit: u64) -> Result<(ObjectInfo, Vec<u8>), S3Error> {
        let (info, mut file) = self.open_read(key)?;
        if info.size > limit {
            return Err(S3Error::InvalidRequest(format!(
                "The object is {} bytes, more than the {limit} bytes a task result can hold.",
                info.size
            )));
        }
        let mut bytes = Vec::with_capacity(info.size as usize);
        file.read_to_end(&mut bytes).map_err(|e| S3Error::io(&e))?;
        Ok((info, bytes))
    }

    /// PutObject: replaces the object atomically and records its headers.
    pub(crate) fn write(
        &self,
        key: &str,
        bytes: &[u8],
        headers: Headers,
        condition: &WriteCondition,
    ) -> Result<ObjectInfo, S3Error> {
        let mut pending = self.begin_write(key)?;
        let mut digester = Digester::default();
        digester.update(bytes);
        pending
            .file_mut()
            .write_all(bytes)
            .map_err(|e| S3Error::io(&e))?;
        self.commit(pending, digester, headers, condition)
    }

    /// The start of a write: the key checked, its folders made, and an empty temporary file
    /// beside where the object goes, for the caller to fill (computing its [`Digester`]) and
    /// hand to [`Bucket::commit`].
    pub(crate) fn begin_write(&self, key: &str) -> Result<PendingObject, S3Error> {
        let segments = paths::key_segments(key)?;
        let (folders, _) = segments.split_at(segments.len() - 1);
        let path = paths::join(&self.dir, &segments);
        let dir = paths::ensure_dirs(&self.dir, &self.canonical, folders, key)?;
        if !paths::resolves_inside(&dir, &self.canonical).map_err(|e| S3Error::io(&e))? {
            return Err(S3Error::AccessDenied);
        }
        let temp = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple()));
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| S3Error::io(&e))?;
        let pending = PendingObject {
            key: key.to_string(),
            segments: segments.iter().map(|s| s.to_string()).collect(),
            dir,
            path,
            temp,
            file: Some(file),
            committed: false,
        };
        paths::check_opened(pending.file(), &self.canonical)?;
        Ok(pending)
    }

    /// The end of a write: the temporary file flushed to disk and, if `condition` holds,
    /// renamed over the object, with its sidecar. On any failure the temporary file is gone.
    pub(crate) fn commit(
        &self,
        mut pending: PendingObject,
        digester: Digester,
        headers: Headers,
        condition: &WriteCondition,
    ) -> Result<ObjectInfo, S3Error> {
        if let Some(file) = pending.file.take() {
            file.sync_all().map_err(|e| S3Error::io(&e))?;
        }
        let _guard = lock_for(&pending.path);
        let result = self
            .check_condition(&pending.key, condition)
            .and_then(|()| {
                // Checked again just before the rename: the folder may have changed meanwhile.
                if !paths::resolves_inside(&pending.dir, &self.canonical)
                    .map_err(|e| S3Error::io(&e))?
                {
                    return Err(S3Error::AccessDenied);
                }
                // The sidecar will be needed: a metadata folder that leads elsewhere refuses
                // the write before the object changes, not after.
                if self.meta_canonical(true)?.is_none() {
                    return Err(S3Error::AccessDenied);
                }
                make_room_for_file(&pending.path, &pending.key)?;
                fs::rename(&pending.temp, &pending.path).map_err(|e| S3Error::io(&e))
            });
        if let Err(e) = result {
            drop(pending);
            return Err(e);
        }
        pending.committed = true;
        let meta = fs::metadata(&pending.path).map_err(|e| S3Error::io(&e))?;
        let (md5_hex, crc32) = digester.finish();
        let info = ObjectInfo {
            size: meta.len(),
            modified: meta.modified().unwrap_or(UNIX_EPOCH),
            md5_hex,
            crc32,
            headers,
        };
        self.store_sidecar(&pending.segments, &info)?;
        Ok(info)
    }

    fn check_condition(&self, key: &str, condition: &WriteCondition) -> Result<(), S3Error> {
        if condition.if_match.is_none() && condition.if_none_match.is_none() {
            return Ok(());
        }
        let current = match self.head_inner(key, false) {
            Ok(info) => Some(info),
            Err(S3Error::NoSuchKey) => None,
            Err(e) => return Err(e),
        };
        if let Some(expected) = &condition.if_match {
            match &current {
                None => return Err(S3Error::NoSuchKey),
                Some(info) if !etag_matches(expected, &info.md5_hex) => {
                    return Err(S3Error::PreconditionFailed)
                }
                Some(_) => {}
            }
        }
        if let Some(expected) = &condition.if_none_match {
            if let Some(info) = &current {
                if etag_matches(expected, &info.md5_hex) {
                    return Err(S3Error::PreconditionFailed);
                }
            }
        }
        Ok(())
    }

    /// DeleteObject: removes the object and its sidecar, and the folders left empty. A key
    /// that does not exist is not an error (S3 answers 204 either way).
    pub(crate) fn delete(&self, key: &str) -> Result<(), S3Error> {
        let segments = paths::key_segments(key)?;
        let path = paths::join(&self.dir, &segments);
        let _guard = lock_for(&path);
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        match paths::resolves_inside(parent, &self.canonical) {
            Ok(true) => {}
            Ok(false) => return Err(S3Error::AccessDenied),
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => return Err(S3Error::io(&e)),
        }
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => return Ok(()),
            Ok(_) => fs::remove_file(&path).map_err(|e| S3Error::io(&e))?,
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(S3Error::io(&e)),
        }
        prune_empty(&path, &self.dir);
        let owned: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
        let sidecar = self.sidecar_path(&owned);
        let Some(meta_canonical) = self.meta_canonical(false)? else {
            return Ok(());
        };
        match sidecar
            .parent()
            .map(|p| paths::resolves_inside(p, &meta_canonical))
        {
            Some(Ok(true)) => {}
            Some(Ok(false)) => return Err(S3Error::AccessDenied),
            Some(Err(e)) if is_missing(&e) => return Ok(()),
            Some(Err(e)) => return Err(S3Error::io(&e)),
            None => return Ok(()),
        }
        match fs::remove_file(&sidecar) {
            Ok(()) => {}
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(S3Error::io(&e)),
        }
        prune_empty(&sidecar, &self.meta_dir);
        Ok(())
    }

    /// Every key in the bucket under `prefix`, in UTF-8 byte order (S3's listing order).
    /// Folders reached through symbolic links are not walked; linked files count when they
    /// resolve inside the bucket.
    pub(crate) fn keys(&self, prefix: &str) -> Result<Vec<String>, S3Error> {
        // Only the folder the prefix names can hold matching keys.
        let folder = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let mut start = self.dir.clone();
        let mut start_key = String::new();
        if !folder.is_empty() {
            for segment in folder.split('/') {
                if !paths::is_plain_segment(segment) {
                    return Ok(Vec::new());
                }
                start.push(segment);
                start_key.push_str(segment);
                start_key.push('/');
            }
            match fs::symlink_metadata(&start) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Ok(Vec::new()),
                Err(e) if is_missing(&e) => return Ok(Vec::new()),
                Err(e) => return Err(S3Error::io(&e)),
            }
        }
        let mut keys = Vec::new();
        let mut pending = vec![(start, start_key)];
        while let Some((dir, dir_key)) = pending.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if is_missing(&e) => continue,
                Err(e) => return Err(S3Error::io(&e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| S3Error::io(&e))?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue; // not UTF-8: cannot be a key
                };
                if name.starts_with(TEMP_PREFIX) {
                    continue;
                }
                let key = format!("{dir_key}{name}");
                let kind = entry.file_type().map_err(|e| S3Error::io(&e))?;
                if kind.is_dir() {
                    let folder = format!("{key}/");
                    if prefix.starts_with(&folder) || folder.starts_with(prefix) {
                        pending.push((entry.path(), folder));
                    }
                    continue;
                }
                // A file whose path is no valid key (made by hand) is not an object.
                if !key.starts_with(prefix) || paths::key_segments(&key).is_err() {
                    continue;
                }
                let is_object = if kind.is_symlink() {
                    let target = fs::canonicalize(entry.path());
                    target.is_ok_and(|t| t.starts_with(&self.canonical) && t.is_file())
                } else {
                    kind.is_file()
                };
                if is_object {
                    keys.push(key);
                }
            }
        }
        keys.sort_unstable();
        Ok(keys)
    }

    /// The sidecar's description when it still describes the file `meta` is of.
    fn sidecar_for(&self, segments: &[String], meta: &fs::Metadata) -> Option<ObjectInfo> {
        let canonical = self.meta_canonical(false).ok()??;
        let mut file = fs::File::open(self.sidecar_path(segments)).ok()?;
        paths::check_opened(&file, &canonical).ok()?;
        let mut text = Vec::new();
        file.read_to_end(&mut text).ok()?;
        let sidecar: Sidecar = serde_json::from_slice(&text).ok()?;
        let modified = meta.modified().ok()?;
        let (secs, nanos) = epoch_parts(modified);
        (sidecar.size == meta.len()
            && sidecar.modified_secs == secs
            && sidecar.modified_nanos == nanos)
            .then_some(ObjectInfo {
                size: sidecar.size,
                modified,
                md5_hex: sidecar.md5,
                crc32: sidecar.crc32,
                headers: sidecar.headers,
            })
    }

    /// A description computed from the file, cached as its sidecar when the file is still the
    /// one that was read (so a concurrent write's sidecar is never overwritten by a stale one).
    fn described(
        &self,
        path: &Path,
        segments: &[String],
        meta: &fs::Metadata,
        md5_hex: String,
        crc32: String,
        cache: bool,
    ) -> ObjectInfo {
        let info = ObjectInfo {
            size: meta.len(),
            modified: meta.modified().unwrap_or(UNIX_EPOCH),
            md5_hex,
            crc32,
            headers: Headers::default(),
        };
        if !cache {
            return info;
        }
        let _guard = lock_for(path);
        let unchanged = fs::metadata(path).is_ok_and(|now| {
            now.len() == meta.len() && now.modified().ok() == meta.modified().ok()
        });
        if unchanged {
            // Only a cache: failing to write it costs a recomputation next time, but a full
            // disk or a broken metadata folder is worth knowing about.
            if let Err(e) = self.store_sidecar(segments, &info) {
                tracing::warn!(path = %path.display(), error = ?e, "could not cache an object's digests");
            }
        }
        info
    }

    fn store_sidecar(&self, segments: &[String], info: &ObjectInfo) -> Result<(), S3Error> {
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let (folders, _) = refs.split_at(refs.len().saturating_sub(1));
        let Some(canonical) = self.meta_canonical(true)? else {
            return Err(S3Error::AccessDenied);
        };
        let key = refs.join("/");
        // Sidecars of objects removed by hand may stand where this one's folders or file go;
        // the object folder is the truth, so they are cleared away.
        let mut stale = self.meta_dir.clone();
        for folder in folders {
            stale.push(folder);
            if fs::symlink_metadata(&stale).is_ok_and(|m| m.is_file()) {
                fs::remove_file(&stale).map_err(|e| S3Error::io(&e))?;
            }
        }
        let dir = paths::ensure_dirs(&self.meta_dir, &canonical, folders, &key)?;
        let path = paths::join(&self.meta_dir, &refs);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            fs::remove_dir_all(&path).map_err(|e| S3Error::io(&e))?;
        }
        let (secs, nanos) = epoch_parts(info.modified);
        let sidecar = Sidecar {
            size: info.size,
            modified_secs: secs,
            modified_nanos: nanos,
            md5: info.md5_hex.clone(),
            crc32: info.crc32.clone(),
            headers: info.headers.clone(),
        };
        let text = serde_json::to_vec(&sidecar).map_err(|e| S3Error::Internal(e.to_string()))?;
        write_atomically(&dir, &path, &text, false).map_err(|e| S3Error::io(&e))
    }
}

/// An object being written (see [`Bucket::begin_write`]): its temporary file, removed when
/// this is dropped without a commit (a failed condition, a client gone mid-body).
#[derive(Debug)]
pub(crate) struct PendingObject {
    key: String,
    segments: Vec<String>,
    dir: PathBuf,
    path: PathBuf,
    temp: PathBuf,
    file: Option<fs::File>,
    committed: bool,
}

impl PendingObject {
    fn file(&self) -> &fs::File {
        self.file
            .as_ref()
            .expect("the file is present until the commit")
    }

    /// The temporary file to fill.
    pub(crate) fn file_mut(&mut self) -> &mut fs::File {
        self.file
            .as_mut()
            .expect("the file is present until the commit")
    }

    /// The temporary file, taken out to be filled elsewhere (an async writer) and put back
    /// with [`PendingObject::put_file`] before the commit.
    pub(crate) fn take_file(&mut self) -> Option<fs::File> {
        self.file.take()
    }

    pub(crate) fn put_file(&mut self, file: fs::File) {
        self.file = Some(file);
    }
}

impl Drop for PendingObject {
    fn drop(&mut self) {
        if !self.committed {
            self.file.take();
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// MD5 and CRC32 of bytes seen one piece at a time.
#[derive(Default)]
pub(crate) struct Digester {
    md5: Md5,
    crc: u32,
}

impl Digester {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.crc = crc32_update(self.crc, bytes);
    }

    /// MD5 (hex) and CRC32 (base64, big-endian).
    pub(crate) fn finish(self) -> (String, String) {
        (hex(&self.md5.finalize()), crc32_base64(self.crc))
    }
}

/// An empty folder where the file must go (left by hand) is removed; a folder holding other
/// keys is a conflict.
fn make_room_for_file(path: &Path, key: &str) -> Result<(), S3Error> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir(path).map_err(|_| {
            S3Error::Conflict(format!(
                "The key '{key}' is a folder of other keys: local storage keeps keys as files, \
                 so one key cannot also be a folder of other keys."
            ))
        }),
        _ => Ok(()),
    }
}

/// Writes `bytes` to a new temporary file in `dir`, optionally flushes it to disk, and renames
/// it to `path`.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    let temp = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes the folders above `path` that are now empty, up to (not including) `stop`.
fn prune_empty(path: &Path, stop: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == stop || !d.starts_with(stop) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn etag_matches(expected: &str, md5_hex: &str) -> bool {
    let expected = expected.trim();
    expected == "*" || expected.trim_matches('"') == md5_hex
}

fn is_missing(e: &io::Error) -> bool {
    // NotADirectory: a file stands where the key needs a folder, so the key does not exist.
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

fn missing_as_no_such_key(e: &io::Error) -> S3Error {
    if is_missing(e) {
        S3Error::NoSuchKey
    } else {
        S3Error::io(e)
    }
}

pub(crate) fn epoch_parts(t: SystemTime) -> (u64, u32) {
    t.duration_since(UNIX_EPOCH)
        .map(|d| (d.as_secs(), d.subsec_nanos()))
        .unwrap_or((0, 0))
}

/// MD5 (hex) and CRC32 (base64, big-endian) of `bytes`.
pub(crate) fn digest(bytes: &[u8]) -> (String, String) {
    let md5 = Md5::digest(bytes);
    (hex(&md5), crc32_base64(crc32_update(0, bytes)))
}

fn digest_reader(reader: &mut impl Read) -> io::Result<(String, String)> {
    let mut md5 = Md5::new();
    let mut crc = 0u32;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        crc = crc32_update(crc, &buf[..n]);
    }
    Ok((hex(&md5.finalize()), crc32_base64(crc)))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn crc32_base64(crc: u32) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and S3's `ChecksumCRC32`), continuing from `crc`.
fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut c = !crc;
    for &b in bytes {
        c = TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}
