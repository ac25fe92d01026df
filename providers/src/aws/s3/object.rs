//! `s3.object`: an object in a bucket, uploaded from a local file (`source`), from a
//! string written in the spec (`content`), or a whole folder of site assets (`source`
//! naming a directory: every file under it, each under the key prefix `key`).
//!
//! Maps to PutObject / HeadObject / GetObjectTagging / DeleteObject (ListObjectsV2 for
//! folders). The id is `BUCKET/KEY` (`find` reads what is there). Force-new: `bucket`,
//! `key`. Every other change is
//! an in-place update: a new PutObject (a new version when the bucket is versioned).
//! `source` is a path relative to the spec folder. The content type, when not written,
//! comes from the key's (for a folder: each file's) extension.
//!
//! Content hashes: each upload stores the SHA-256 of its bytes in the object's metadata
//! (`x-amz-meta-strata-sha256`, never shown in `metadata`). Read hashes the local file
//! (or the spec's `content`) and compares: when they agree it reports `source` /
//! `content` as last applied; when they differ it reports `source` as the path followed
//! by what differs (`"site/index.html (content in S3 differs: ...)"`), and `content` as
//! the object's actual body, so that the plan shows an update of that attribute.
//!
//! Folders: the key is a prefix, empty or ending in `/`; each object uploaded carries
//! `x-amz-meta-strata-folder` naming the resource id, so that read, update and delete
//! touch only the objects this folder wrote (never another object under the same
//! prefix). A file removed locally is deleted from S3 on the next apply. A folder
//! whose objects are all gone reads as gone. Shared settings (`content-type`,
//! `cache-control`, `content-encoding`, `metadata`, `tags`) apply to every file and read
//! back as the last applied value when every object agrees, else as the first object's
//! that differs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use sha2::{Digest, Sha256};
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, Constraint, ResourceType, Schema, Type, Value};

use crate::aws::attrs::{Out, required, string, string_map, tags_value};
use crate::aws::error::{invalid, sdk};
use crate::aws::{finish_create, read_back, tags};

/// The `s3.object` resource type.
pub struct Object {
    pub(crate) aws: crate::aws::client::Aws,
}

/// Metadata key holding the SHA-256 of the uploaded bytes.
const HASH: &str = "strata-sha256";
/// Metadata key naming the folder resource an object was uploaded by.
const FOLDER: &str = "strata-folder";

#[async_trait]
impl ResourceType for Object {
    fn type_name(&self) -> &'static str {
        "s3.object"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let (bucket, key) = split_id(id)?;
        if is_prefix(key) {
            self.read_folder(id, bucket, key, prior).await
        } else {
            self.read_file(id, bucket, key, prior).await
        }
    }

    async fn create(&self, desired: &Attrs, _token: &CreateToken) -> Result<Observed, CreateError> {
        let bucket = required(desired, "bucket")?;
        let key = required(desired, "key")?;
        let id = format!("{bucket}/{key}");
        if is_prefix(key) {
            let folder = self.folder_source(desired)?;
            // Some files may be uploaded before a failure: the id lets delete find them.
            return finish_create(&id, async {
                self.sync_folder(&id, bucket, key, &folder, desired, &BTreeMap::new(), true)
                    .await?;
                read_back(
                    self.read(&id, desired),
                    "the objects of",
                    &id,
                    "after create",
                )
                .await
            })
            .await;
        }
        self.put_file(bucket, key, desired).await?;
        let read = self.read(&id, desired);
        finish_create(&id, read_back(read, "object", &id, "after create")).await
    }

    /// An object is named by its bucket and key: what is there is what the create put
    /// (for a folder, the objects marked as this folder's).
    async fn find(
        &self,
        desired: &Attrs,
        _token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let id = format!(
            "{}/{}",
            required(desired, "bucket")?,
            required(desired, "key")?
        );
        self.read(&id, desired).await
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError> {
        let (bucket, key) = split_id(id)?;
        if is_prefix(key) {
            let folder = self.folder_source(desired)?;
            let held = self.owned(id, bucket, key).await?;
            // Only new content changed: upload what differs; else rewrite every file.
            let all = changed.iter().any(|c| c != "source");
            self.sync_folder(id, bucket, key, &folder, desired, &held, all)
                .await?;
        } else {
            self.put_file(bucket, key, desired).await?;
        }
        read_back(self.read(id, desired), "object", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let (bucket, key) = split_id(id)?;
        let keys: Vec<String> = if is_prefix(key) {
            match self.owned(id, bucket, key).await {
                Ok(held) => held.into_keys().collect(),
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            }
        } else {
            vec![key.to_owned()]
        };
        let s3 = self.aws.s3().await?;
        for key in keys {
            if let Err(e) = s3.delete_object().bucket(bucket).key(&key).send().await {
                let e = sdk("DeleteObject", e);
                if e.kind != ErrorKind::NotFound {
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// What HeadObject (and GetObjectTagging) told of one object.
#[derive(Debug, Clone, Default)]
struct Held {
    hash: Option<String>,
    content_type: Option<String>,
    cache_control: Option<String>,
    content_encoding: Option<String>,
    /// User metadata, strata's own keys left out.
    metadata: BTreeMap<String, String>,
    tags: Option<BTreeMap<String, String>>,
    etag: Option<String>,
    version_id: Option<String>,
    folder: Option<String>,
}

impl Object {
    async fn read_file(
        &self,
        id: &str,
        bucket: &str,
        key: &str,
        prior: &Attrs,
    ) -> Result<Option<Observed>, ProviderError> {
        let Some(held) = self.head(bucket, key, true).await? else {
            return Ok(None);
        };
        let mut out = Out::new();
        out.set("bucket", bucket).set("key", key);
        if let Some(source) = string(prior, "source") {
            let path = self.aws.resolve(source);
            let local = std::fs::read(&path).ok().map(|b| sha256(&b));
            let value = match (&local, &held.hash) {
                (Some(l), Some(h)) if l == h => source.to_owned(),
                (None, _) => format!("{source} (the file cannot be read)"),
                (Some(l), h) => format!(
                    "{source} (content in S3 differs: sha256 {} in S3, {} in the file)",
                    h.as_deref().map_or("unknown", short),
                    short(l)
                ),
            };
            out.set("source", value);
        } else if let Some(content) = string(prior, "content") {
            if held.hash.as_deref() == Some(sha256(content.as_bytes()).as_str()) {
                out.set("content", content);
            } else {
                out.set("content", self.body(bucket, key).await?);
            }
        }
        out.str("content-type", held.content_type.clone());
        optional_string(&mut out, prior, "cache-control", held.cache_control.clone());
        optional_string(
            &mut out,
            prior,
            "content-encoding",
            held.content_encoding.clone(),
        );
        if !held.metadata.is_empty() || prior.contains_key("metadata") {
            out.set("metadata", tags_value(held.metadata.clone()));
        }
        let tags = held.tags.clone().unwrap_or_default();
        if !tags.is_empty() || prior.contains_key("tags") {
            out.set("tags", tags_value(tags));
        }
        out.str("etag", held.etag.clone())
            .str("version-id", held.version_id.clone())
            .list("keys", vec![Value::String(key.to_owned())]);
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn read_folder(
        &self,
        id: &str,
        bucket: &str,
        prefix: &str,
        prior: &Attrs,
    ) -> Result<Option<Observed>, ProviderError> {
        let held = match self.owned(id, bucket, prefix).await {
            Ok(held) => held,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if held.is_empty() {
            return Ok(None);
        }
        let with_tags = prior.contains_key("tags");
        let mut detailed = Vec::with_capacity(held.len());
        for key in held.keys() {
            if let Some(h) = self.head(bucket, key, with_tags).await? {
                detailed.push(h);
            }
        }
        let mut out = Out::new();
        out.set("bucket", bucket).set("key", prefix);
        if let Some(source) = string(prior, "source") {
            let root = self.aws.resolve(source);
            let value = match local_files(&root, prefix) {
                Err(_) => format!("{source} (the folder cannot be read)"),
                Ok(local) => {
                    let changed = local
                        .iter()
                        .filter(|(k, f)| {
                            held.get(*k)
                                .is_some_and(|h| h.as_deref() != Some(f.hash.as_str()))
                        })
                        .count();
                    let missing = local.keys().filter(|k| !held.contains_key(*k)).count();
                    let removed = held.keys().filter(|k| !local.contains_key(*k)).count();
                    if changed + missing + removed == 0 {
                        source.to_owned()
                    } else {
                        format!(
                            "{source} (S3 differs: {changed} changed, {missing} missing, {removed} removed locally)"
                        )
                    }
                }
            };
            out.set("source", value);
        }
        let agreed = |name: &str, each: &dyn Fn(&Held) -> Option<Value>, empty: Value| {
            let want = prior.get(name);
            detailed
                .iter()
                .map(each)
                .find(|v| v.as_ref() != want)
                .map(|v| v.unwrap_or(empty.clone()))
                .or_else(|| want.cloned())
        };
        let text = |v: &Option<String>| v.clone().map(Value::String);
        let empty_map = Value::Map(Attrs::new());
        if prior.contains_key("content-type")
            && let Some(v) = agreed("content-type", &|h| text(&h.content_type), Value::from(""))
        {
            out.set("content-type", v);
        }
        if let Some(v) = agreed(
            "cache-control",
            &|h| text(&h.cache_control),
            Value::from(""),
        ) {
            out.set("cache-control", v);
        }
        if let Some(v) = agreed(
            "content-encoding",
            &|h| text(&h.content_encoding),
            Value::from(""),
        ) {
            out.set("content-encoding", v);
        }
        let map_or_none =
            |m: &BTreeMap<String, String>| (!m.is_empty()).then(|| tags_value(m.clone()));
        if let Some(v) = agreed("metadata", &|h| map_or_none(&h.metadata), empty_map.clone()) {
            out.set("metadata", v);
        }
        if with_tags
            && let Some(v) = agreed(
                "tags",
                &|h| map_or_none(&h.tags.clone().unwrap_or_default()),
                empty_map,
            )
        {
            out.set("tags", v);
        }
        out.list(
            "keys",
            held.keys().map(|k| Value::String(k.clone())).collect(),
        );
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    /// HeadObject (and GetObjectTagging when `tags`); None when the object is gone.
    async fn head(
        &self,
        bucket: &str,
        key: &str,
        tags: bool,
    ) -> Result<Option<Held>, ProviderError> {
        let s3 = self.aws.s3().await?;
        let head = match s3.head_object().bucket(bucket).key(key).send().await {
            Ok(h) => h,
            Err(e) => {
                let e = sdk("HeadObject", e);
                if e.kind == ErrorKind::NotFound {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let mut metadata: BTreeMap<String, String> = head
            .metadata()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let hash = metadata.remove(HASH);
        let folder = metadata.remove(FOLDER);
        let tags = if tags {
            let out = s3
                .get_object_tagging()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| sdk("GetObjectTagging", e))?;
            Some(
                out.tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
            )
        } else {
            None
        };
        Ok(Some(Held {
            hash,
            content_type: head.content_type().map(str::to_owned),
            cache_control: head.cache_control().map(str::to_owned),
            content_encoding: head.content_encoding().map(str::to_owned),
            metadata,
            tags,
            etag: head.e_tag().map(|e| e.trim_matches('"').to_owned()),
            version_id: head.version_id().map(str::to_owned),
            folder,
        }))
    }

    /// The object's body as text, for `content` that differs from the spec's.
    async fn body(&self, bucket: &str, key: &str) -> Result<String, ProviderError> {
        let s3 = self.aws.s3().await?;
        let out = s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk("GetObject", e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| invalid(format!("could not read object {bucket}/{key}: {e}")))?
            .into_bytes();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The objects under `prefix` that folder `id` uploaded, with their content hashes.
    async fn owned(
        &self,
        id: &str,
        bucket: &str,
        prefix: &str,
    ) -> Result<BTreeMap<String, Option<String>>, ProviderError> {
        let s3 = self.aws.s3().await?;
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk("ListObjectsV2", e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        let mut owned = BTreeMap::new();
        for key in keys {
            if let Some(h) = self.head(bucket, &key, false).await?
                && h.folder.as_deref() == Some(id)
            {
                owned.insert(key, h.hash);
            }
        }
        Ok(owned)
    }

    /// The directory a folder resource uploads.
    fn folder_source(&self, desired: &Attrs) -> Result<PathBuf, ProviderError> {
        let key = string(desired, "key").unwrap_or_default();
        let Some(source) = string(desired, "source") else {
            return Err(invalid(format!(
                "the key `{key}` ends in `/`, so `source` must name a folder to upload; inline `content` needs a key naming one object"
            )));
        };
        let path = self.aws.resolve(source);
        if !path.is_dir() {
            return Err(invalid(format!(
                "the key `{key}` is a prefix (empty or ending in `/`), so `source` must be a folder, and `{}` is not",
                path.display()
            )));
        }
        Ok(path)
    }

    /// Uploads the folder's files (all of them, or those whose content differs from
    /// `held`) and deletes the objects of this folder with no local file any more.
    #[allow(clippy::too_many_arguments)]
    async fn sync_folder(
        &self,
        id: &str,
        bucket: &str,
        prefix: &str,
        root: &Path,
        desired: &Attrs,
        held: &BTreeMap<String, Option<String>>,
        all: bool,
    ) -> Result<(), ProviderError> {
        let local = local_files(root, prefix)
            .map_err(|e| invalid(format!("cannot read the folder {}: {e}", root.display())))?;
        for (key, file) in &local {
            if !all
                && held
                    .get(key)
                    .is_some_and(|h| h.as_deref() == Some(file.hash.as_str()))
            {
                continue;
            }
            let bytes = std::fs::read(&file.path)
                .map_err(|e| invalid(format!("cannot read {}: {e}", file.path.display())))?;
            self.put(bucket, key, bytes, &file.path, desired, Some(id))
                .await?;
        }
        let s3 = self.aws.s3().await?;
        for key in held.keys().filter(|k| !local.contains_key(*k)) {
            s3.delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| sdk("DeleteObject", e))?;
        }
        Ok(())
    }

    /// Uploads one object from `source` or `content`.
    async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        desired: &Attrs,
    ) -> Result<(), ProviderError> {
        let (bytes, name) = match (string(desired, "source"), string(desired, "content")) {
            (Some(source), _) => {
                let path = self.aws.resolve(source);
                if path.is_dir() {
                    return Err(invalid(format!(
                        "`source` {} is a folder: give a key prefix ending in `/` (or an empty key) to upload a folder",
                        path.display()
                    )));
                }
                let bytes = std::fs::read(&path)
                    .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
                (bytes, PathBuf::from(key))
            }
            (None, Some(content)) => (content.as_bytes().to_vec(), PathBuf::from(key)),
            (None, None) => return Err(invalid("an object needs `source` or `content`")),
        };
        self.put(bucket, key, bytes, &name, desired, None).await
    }

    /// PutObject with the settings `desired` gives and strata's metadata.
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        bytes: Vec<u8>,
        name: &Path,
        desired: &Attrs,
        folder: Option<&str>,
    ) -> Result<(), ProviderError> {
        let s3 = self.aws.s3().await?;
        let mut metadata: HashMap<String, String> =
            string_map(desired, "metadata").into_iter().collect();
        metadata.insert(HASH.to_owned(), sha256(&bytes));
        if let Some(id) = folder {
            metadata.insert(FOLDER.to_owned(), id.to_owned());
        }
        let content_type = string(desired, "content-type")
            .map(str::to_owned)
            .unwrap_or_else(|| content_type_of(name).to_owned());
        let tags = string_map(desired, "tags");
        let tagging = (!tags.is_empty()).then(|| {
            tags.iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        });
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .content_type(content_type)
            .set_cache_control(string(desired, "cache-control").map(str::to_owned))
            .set_content_encoding(string(desired, "content-encoding").map(str::to_owned))
            .set_metadata(Some(metadata))
            .set_tagging(tagging)
            .send()
            .await
            .map_err(|e| sdk("PutObject", e))?;
        Ok(())
    }
}

/// One local file of a folder resource.
struct LocalFile {
    path: PathBuf,
    hash: String,
}

/// Every file under `root`, by the key it is uploaded under (`prefix` + its path with
/// `/` separators), with its content hash.
fn local_files(root: &Path, prefix: &str) -> std::io::Result<BTreeMap<String, LocalFile>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let hash = sha256(&std::fs::read(&path)?);
            found.insert(
                format!("{prefix}{}", parts.join("/")),
                LocalFile { path, hash },
            );
        }
    }
    Ok(found)
}

/// `BUCKET/KEY` split at the first `/`.
fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/')
        .filter(|(b, _)| !b.is_empty())
        .ok_or_else(|| invalid(format!("`{id}` is not an object id of the form BUCKET/KEY")))
}

/// A key naming a folder of objects: empty or ending in `/`.
fn is_prefix(key: &str) -> bool {
    key.is_empty() || key.ends_with('/')
}

/// An optional header read back: when AWS has none but the last apply set one, an
/// empty string, so that its removal shows as a change.
fn optional_string(out: &mut Out, prior: &Attrs, name: &str, value: Option<String>) {
    match value {
        Some(v) => {
            out.set(name, v);
        }
        None if prior.contains_key(name) => {
            out.set(name, "");
        }
        None => {}
    }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first 12 hex digits of a hash, for messages.
fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// Percent-encodes a tag key or value for the `x-amz-tagging` header.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The Content-Type for a file name's extension; `binary/octet-stream` (S3's own
/// default) when unknown.
pub(crate) fn content_type_of(name: &Path) -> &'static str {
    let ext = name
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "xml" => "application/xml",
        "yaml" | "yml" => "application/yaml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "wasm" => "application/wasm",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        _ => "binary/octet-stream",
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An object in an S3 bucket, from a local file or from inline content, or a folder of objects.",
        vec![
            Attribute::required("bucket", Type::String)
                .force_new()
                .doc("The name of the bucket holding the object."),
            Attribute::required("key", Type::String)
                .force_new()
                .doc("The object key, e.g. `index.html` or `assets/logo.png` (no leading slash). With a folder `source`, the prefix every file's key starts with: empty or ending in `/` (`assets/`)."),
            Attribute::optional("source", Type::String)
                .doc("A local file to upload, or a folder whose every file is uploaded under the `key` prefix, relative to the spec folder; a change of the content is a change of the object. Exclusive with `content`."),
            Attribute::optional("content", Type::String)
                .doc("The object's content, written in the spec (UTF-8). Exclusive with `source`."),
            Attribute::optional_computed("content-type", Type::String)
                .doc("The Content-Type served; when absent, guessed from the key's (for a folder, each file's) extension (`binary/octet-stream` when unknown)."),
            Attribute::optional("cache-control", Type::String)
                .doc("The Cache-Control header served, e.g. `max-age=300`."),
            Attribute::optional("content-encoding", Type::String)
                .doc("The Content-Encoding header served, e.g. `gzip` for a pre-compressed file."),
            Attribute::optional("metadata", Type::map(Type::String))
                .doc("User metadata (`x-amz-meta-*` headers), written as properties."),
            tags(),
            Attribute::computed("etag", Type::String)
                .doc("The object's ETag (the MD5 of its content for a single-part upload)."),
            Attribute::computed("version-id", Type::String)
                .doc("The version written by the last apply, when the bucket is versioned."),
            Attribute::computed("keys", Type::list(Type::String))
                .doc("The keys written: the object's key, or every key a folder uploaded."),
        ],
    )
    .with_constraint(Constraint::ExactlyOneOf(vec!["source", "content"]))
});
