//! Where buckets and keys live on disk, and the checks that keep every key inside its bucket.
//!
//! A key is split at `/` into folder names and a file name. Each segment must be one ordinary
//! path component: not empty, not `.` or `..`, no NUL, no path separator of the platform. The
//! segments are pushed one by one, never joined as a string, so no segment can be read as an
//! absolute path or a drive. Symbolic links are the remaining way out, so every read and write
//! also checks the canonical path against the bucket's canonical folder, and a bucket folder
//! (or the metadata folder) that is itself a link is no bucket at all.
//!
//! Checking a path and then using it leaves a window in which someone with access to the
//! storage folder could swap a folder for a link. Reads close it: the file is opened first and
//! where the open file really is (Linux: `/proc/self/fd`) is checked afterwards, so what is
//! read is what was checked. Writes create their temporary file the same way, then rename it
//! within that folder, and deletes remove by path: for those the window between the check and
//! the rename or unlink remains, and only a local user who can already write in the storage
//! folder can use it (the S3 endpoint and the tasks create no links).

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::error::S3Error;

/// Baton's own folder under the root: object metadata, mirroring the buckets' layout. It starts
/// with a dot, which no bucket name can.
pub(crate) const META_DIR: &str = ".baton-meta";

/// Prefix of the temporary files an atomic write renames into place. Listings skip them and
/// keys may not use it.
pub(crate) const TEMP_PREFIX: &str = ".baton-tmp-";

/// S3's limit on a key's length in UTF-8 bytes.
const MAX_KEY_BYTES: usize = 1024;

/// Whether `segment` is exactly one normal path component on this platform.
pub(crate) fn is_plain_segment(segment: &str) -> bool {
    if segment.is_empty()
        || segment == "."
        || segment == ".."
        || segment.contains('\0')
        || segment.chars().any(std::path::is_separator)
    {
        return false;
    }
    let mut parts = Path::new(segment).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(name)), None) if name == OsStr::new(segment)
    )
}

/// The folder of a bucket named in a request. Any name that is one plain path component and
/// does not start with a dot reaches its folder (S3's naming rules are checked when a bucket is
/// created, see [`check_new_bucket_name`]); anything else is `InvalidBucketName`.
pub(crate) fn bucket_dir(root: &Path, bucket: &str) -> Result<PathBuf, S3Error> {
    if !is_plain_segment(bucket) || bucket.starts_with('.') {
        return Err(S3Error::InvalidBucketName(format!(
            "'{bucket}' cannot name a bucket folder."
        )));
    }
    Ok(root.join(bucket))
}

/// S3's rules for general purpose bucket names
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>).
pub(crate) fn check_new_bucket_name(name: &str) -> Result<(), S3Error> {
    let invalid = |why: &str| Err(S3Error::InvalidBucketName(why.to_string()));
    if !(3..=63).contains(&name.len()) {
        return invalid("Bucket names must be between 3 and 63 characters long.");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return invalid(
            "Bucket names can consist only of lowercase letters, numbers, periods, and hyphens.",
        );
    }
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
        return invalid("Bucket names must begin and end with a letter or number.");
    }
    if name.contains("..") {
        return invalid("Bucket names must not contain two adjacent periods.");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return invalid("Bucket names must not be formatted as an IP address.");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return invalid("Bucket names must not start with a reserved prefix.");
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return invalid("Bucket names must not end with a reserved suffix.");
        }
    }
    Ok(())
}

/// A key's segments, checked.
pub(crate) fn key_segments(key: &str) -> Result<Vec<&str>, S3Error> {
    let unsupported = |reason| {
        Err(S3Error::UnsupportedKey {
            key: key.to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return Err(S3Error::InvalidArgument(
            "The key must be at least one character long.".into(),
        ));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::KeyTooLong);
    }
    if key.starts_with('/') {
        return unsupported("a key starting with '/' would be an absolute path");
    }
    if key.ends_with('/') {
        return unsupported("a key ending with '/' names a folder, not a file");
    }
    let segments: Vec<&str> = key.split('/').collect();
    for segment in &segments {
        if segment.is_empty() {
            return unsupported("'//' would be an empty folder name");
        }
        if *segment == "." || *segment == ".." {
            return unsupported("'.' and '..' segments would leave their folder");
        }
        if segment.starts_with(TEMP_PREFIX) {
            return unsupported("names starting with '.baton-tmp-' are reserved");
        }
        if !is_plain_segment(segment) {
            return unsupported("a segment contains NUL or a path separator");
        }
    }
    Ok(segments)
}

/// `base` followed by the key's segments.
pub(crate) fn join(base: &Path, segments: &[&str]) -> PathBuf {
    let mut path = base.to_path_buf();
    for segment in segments {
        path.push(segment);
    }
    path
}

/// Creates the folders `segments` under `base` one at a time, refusing to pass through
/// anything that leaves `canonical_base` (a symbolic link pointing out) and reporting a file
/// where a folder is needed as a conflict. `fs::create_dir_all` would follow such links before
/// anything could be checked.
pub(crate) fn ensure_dirs(
    base: &Path,
    canonical_base: &Path,
    segments: &[&str],
    key: &str,
) -> Result<PathBuf, S3Error> {
    let mut dir = base.to_path_buf();
    for (i, segment) in segments.iter().enumerate() {
        dir.push(segment);
        let mut created = false;
        loop {
            match fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => break,
                Ok(meta) if meta.file_type().is_symlink() => {
                    let target = fs::canonicalize(&dir).map_err(|e| S3Error::io(&e))?;
                    if !target.starts_with(canonical_base) {
                        return Err(S3Error::AccessDenied);
                    }
                    if !target.is_dir() {
                        return Err(folder_conflict(key, &segments[..=i]));
                    }
                    break;
                }
                Ok(_) => return Err(folder_conflict(key, &segments[..=i])),
                Err(e) if e.kind() == io::ErrorKind::NotFound && !created => {
                    match fs::create_dir(&dir) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(S3Error::io(&e)),
                    }
                    created = true;
                }
                Err(e) => return Err(S3Error::io(&e)),
            }
        }
    }
    Ok(dir)
}

fn folder_conflict(key: &str, folder: &[&str]) -> S3Error {
    S3Error::Conflict(format!(
        "The key '{key}' needs '{}' to be a folder, but it is an object: local storage keeps \
         keys as files, so one key cannot also be a folder of other keys.",
        folder.join("/")
    ))
}

/// Refuses a file opened through a link that led out of `canonical_base`, judged by where the
/// open file is rather than by its path, so no swap after the open can change the answer.
/// Where the platform cannot say, the check made on the path before the open stands.
pub(crate) fn check_opened(file: &fs::File, canonical_base: &Path) -> Result<(), S3Error> {
    match opened_path(file) {
        Some(real) if !real.starts_with(canonical_base) => Err(S3Error::AccessDenied),
        _ => Ok(()),
    }
}

#[cfg(target_os = "linux")]
fn opened_path(file: &fs::File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

#[cfg(not(target_os = "linux"))]
fn opened_path(_file: &fs::File) -> Option<PathBuf> {
    None
}

/// The canonical folder of `name` under `root` when it is a real folder directly in the
/// canonical root: not a link (to another bucket or out of the root), not a file.
pub(crate) fn own_folder(root: &Path, name: &str) -> io::Result<Option<PathBuf>> {
    let dir = root.join(name);
    match fs::symlink_metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let canonical = fs::canonicalize(&dir)?;
    let expected = fs::canonicalize(root)?.join(name);
    Ok((canonical == expected).then_some(canonical))
}

/// Whether `path` resolves (through any links) to somewhere inside `canonical_base`.
pub(crate) fn resolves_inside(path: &Path, canonical_base: &Path) -> io::Result<bool> {
    Ok(fs::canonicalize(path)?.starts_with(canonical_base))
}
