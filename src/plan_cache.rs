//! The plan cache: what a successful setup computed, kept for the next boot
//! of the same app and request, with everything that could change the
//! answer (the key). A warm boot reads one entry, checks its key (a few
//! files hashed, a few directories stat'ed, some ENV entries compared) and
//! hands the stored plan to Ruby: no Gemfile or gemspec evaluated, no
//! lockfile parsed, no stub header read.
//!
//! What is keyed, and how:
//! - facts: the request's environment (root, Gemfile, lockfile, groups,
//!   `Gem.path`, `Gem.dir`, platform, Ruby scope, extension API, user home)
//!   and the extra facts Ruby adds (the Ruby build, fastbundle's version),
//!   as one digest;
//! - every `BUNDLE_*` variable, as one digest of all of them;
//! - the ENV entries the Gemfile reads and its `env` conditions name, as
//!   one digest of their values (no value is stored);
//! - by content (xxh3-128): the lockfile, the settings files, and every file
//!   the Gemfile's evaluation read (eval_gemfile'd files, gemspecs and what
//!   they read, `.ruby-version`), absent ones included;
//! - by stamp (device, inode, mtime, ctime, size): the directories whose
//!   entries say what is installed (each gem dir's `specifications/` and
//!   `gems/`, `bundler/gems/` of the bundle path, the default specs dir,
//!   path gems' directories) and fastbundle's own Ruby files.
//!
//! An entry is written only when nothing it is keyed on changed during the
//! boot that computed it (ctime before the boot began, by a margin for the
//! file system's clock granularity): otherwise a change in the same clock
//! tick as the read could leave a stale answer under a current stamp.
//!
//! File format: MAGIC, then the build id, payload length and payload
//! checksum (u64 LE each), then the payload (postcard). A file that fails
//! any check is a miss, never an error.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_128, xxh3_64, Xxh3};

use crate::cache_dir;
use crate::lockfile::SourceKind;
use crate::plan::PlannedSpec;
use crate::request::Request;
use crate::settings::Settings;

const MAGIC: &[u8; 8] = b"FBPLAN\0\x01";
const HEADER: usize = 8 + 8 + 8 + 8;
/// How long after a change its stamp may still be shared by a later change
/// (file timestamps come from the kernel's coarse clock: one tick is 4 ms
/// at HZ=250, 10 ms at HZ=100).
const RACY_MARGIN: Duration = Duration::from_millis(20);
/// No plan is this big; a bigger file is damaged or not ours.
const MAX_ENTRY: u64 = 256 << 20;

/// Changes whenever the format or the code that makes plans changes: the
/// crate version and a hash of the core's sources (build.rs).
pub fn build_id() -> u64 {
    let mut h = DefaultHasher::new();
    (MAGIC, env!("CARGO_PKG_VERSION"), env!("FASTBUNDLE_SOURCE_HASH")).hash(&mut h);
    h.finish()
}

/// What identifies a file or directory without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Stamp {
    pub fn of(path: &str) -> Option<Stamp> {
        fs::metadata(path).ok().map(|m| Stamp::from_metadata(&m))
    }

    fn from_metadata(m: &fs::Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Changed (or created) so close to `since` that a later change in the
    /// same clock tick would keep this stamp. File timestamps come from a
    /// coarse clock (a few ms); whole-second ones mean a coarse file system.
    fn racy(&self, since: SystemTime) -> bool {
        let margin = if self.ctime.1 == 0 { Duration::from_secs(2) } else { RACY_MARGIN };
        let ctime = SystemTime::UNIX_EPOCH + Duration::new(self.ctime.0.max(0) as u64, self.ctime.1.max(0) as u32);
        ctime + margin > since
    }
}

/// One thing the answer was computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input<'a> {
    /// A file, by the hash of its content; `None`: it did not exist.
    File {
        #[serde(borrow)]
        path: &'a str,
        hash: Option<u128>,
    },
    /// A directory whose entries matter, or one of fastbundle's own files;
    /// `None`: it did not exist.
    Stat {
        #[serde(borrow)]
        path: &'a str,
        stamp: Option<Stamp>,
    },
    /// A path a gemspec tested (`File.exist?`, `File.file?`, `File.size`...):
    /// what it is, and a file's size.
    Kind {
        #[serde(borrow)]
        path: &'a str,
        kind: PathKind,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PathKind {
    Absent,
    File { size: u64 },
    Dir,
    Other,
}

impl PathKind {
    pub fn of(path: &str) -> PathKind {
        match fs::metadata(path) {
            Err(_) => PathKind::Absent,
            Ok(m) if m.is_file() => PathKind::File { size: m.len() },
            Ok(m) if m.is_dir() => PathKind::Dir,
            Ok(_) => PathKind::Other,
        }
    }
}

/// What `Gem.loaded_specs` gets for one gem, as a setup left it (path and
/// git gems with the paths their evaluated gemspecs gave).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedSpec<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub platform: &'a str,
    pub full_name: &'a str,
    pub full_gem_path: &'a str,
    pub loaded_from: Option<&'a str>,
    #[serde(borrow)]
    pub load_paths: Vec<&'a str>,
    pub gemspec_dir: Option<&'a str>,
    pub gemspec_glob: Option<&'a str>,
    pub source: &'a str,
    pub default_gem: bool,
}

impl<'a> CachedSpec<'a> {
    pub fn from_planned(s: &'a PlannedSpec) -> Self {
        CachedSpec {
            name: &s.name,
            version: &s.version,
            platform: &s.platform,
            full_name: &s.full_name,
            full_gem_path: &s.full_gem_path,
            loaded_from: s.loaded_from.as_deref(),
            load_paths: s.load_paths.iter().map(String::as_str).collect(),
            gemspec_dir: s.gemspec_dir.as_deref(),
            gemspec_glob: s.gemspec_glob.as_deref(),
            source: s.source.as_str(),
            default_gem: s.default_gem,
        }
    }
}

/// The answer: what Ruby applies on a warm boot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedPlan<'a> {
    #[serde(borrow)]
    pub specs: Vec<CachedSpec<'a>>,
    pub preactivated: Vec<CachedSpec<'a>>,
    /// Under Bundler 2.5+, the default gems `Gem::Specification.all` lists
    /// after the bundle (their stubs, read on the cold boot; the default
    /// specifications dir is in the key).
    pub default_gems: Vec<CachedSpec<'a>>,
    pub groups: Vec<&'a str>,
    pub bundle_path: &'a str,
    pub use_system_gems: bool,
    pub frozen: bool,
    pub bundler: Option<(&'a str, &'a str)>,
    /// (load path entry, its man dir) for the entries that have one.
    pub man_dirs: Vec<(&'a str, &'a str)>,
    /// The Gemfile's warnings, printed again on a warm boot as Bundler
    /// prints them on every boot.
    pub warnings: Vec<&'a str>,
    /// Opaque to Rust: what Ruby keeps for FastBundle.definition and
    /// FastBundle.require (the Gemfile's dependencies, as Marshal data).
    pub ruby: &'a [u8],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry<'a> {
    pub facts: u128,
    pub bundle_env: u128,
    #[serde(borrow)]
    pub env_names: Vec<&'a str>,
    pub env_digest: u128,
    pub inputs: Vec<Input<'a>>,
    pub plan: CachedPlan<'a>,
}

/// The part of the key Ruby knows and Rust cannot see (beyond the request).
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Facts beyond the request: the Ruby build, fastbundle's version.
    pub facts: Vec<String>,
    /// Files the Gemfile's evaluation read (keyed by content).
    pub files: Vec<String>,
    /// Paths its gemspecs tested (keyed by what they are).
    pub tested: Vec<String>,
    /// Directories whose listing the evaluation depended on (path gems).
    pub dirs: Vec<String>,
    /// fastbundle's own files that ran (keyed by stamp).
    pub code: Vec<String>,
    /// ENV entries the Gemfile read or its conditions name.
    pub env_names: Vec<String>,
}

/// The file name of the entry for this app and request. The `BUNDLE_*`
/// variables are part of it as of the key: `bundle exec` and `fastbundle
/// exec` children carry BUNDLE_BIN_PATH, which the app's plain boots lack,
/// and sharing one entry would make each kind of boot evict the other's.
pub fn entry_name(req: &Request) -> String {
    let mut h = Xxh3::new();
    h.update(&bundle_env_digest(req).to_le_bytes());
    for part in [&req.root, &req.gemfile, &req.lockfile] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    match &req.groups {
        None => h.update(b"\x01all"),
        Some(groups) => groups.iter().for_each(|g| {
            h.update(g.as_bytes());
            h.update(&[0]);
        }),
    }
    format!("{:016x}", h.digest())
}

/// One digest of the request's environment and the extra facts.
pub fn facts_digest(req: &Request, extra: &[String]) -> u128 {
    let mut h = Xxh3::new();
    let mut put = |s: &str| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    for s in [&req.root, &req.gemfile, &req.lockfile, &req.gem_dir, &req.default_dir, &req.platform] {
        put(s);
    }
    for s in [&req.ruby_scope, &req.extension_api_version] {
        put(s);
    }
    put(req.default_specifications_dir.as_deref().unwrap_or("\0none"));
    put(&req.settings_env.user_home.as_ref().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default());
    put(&format!("{}", req.gem_path.len()));
    req.gem_path.iter().for_each(|p| put(p));
    put(&format!("{}", req.provided.len()));
    req.provided.iter().for_each(|p| put(p));
    match &req.groups {
        None => put("\0all"),
        Some(g) => {
            put(&format!("{}", g.len()));
            g.iter().for_each(|s| put(s));
        }
    }
    extra.iter().for_each(|s| put(s));
    h.digest128()
}

/// All `BUNDLE_*` variables of the request, order-independent.
pub fn bundle_env_digest(req: &Request) -> u128 {
    let mut vars: Vec<&(String, String)> = req.settings_env.bundle_vars.iter().collect();
    vars.sort();
    let mut h = Xxh3::new();
    for (k, v) in vars {
        for s in [k, v] {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
    }
    h.digest128()
}

/// The current values of these ENV entries, as one digest.
pub fn env_digest<S: AsRef<str>>(names: &[S]) -> u128 {
    let mut h = Xxh3::new();
    for name in names {
        let name = name.as_ref();
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        match std::env::var_os(name) {
            Some(v) => {
                let v = v.as_encoded_bytes();
                h.update(&[1]);
                h.update(&(v.len() as u64).to_le_bytes());
                h.update(v);
            }
            None => h.update(&[0]),
        }
    }
    h.digest128()
}

/// (A FIFO or device where an input was is no input: opened without
/// blocking, never read unbounded; src/input_file.rs.)
fn file_hash(path: &str) -> Option<u128> {
    crate::input_file::read_regular(Path::new(path), crate::input_file::MAX_LOCKFILE).ok().map(|b| xxh3_128(&b))
}

/// Why an entry could not be used, in words for FASTBUNDLE_DEBUG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miss(pub String);

/// The entry in `bytes` (a whole cache file), if it is sound and its key
/// still holds for this request.
pub fn lookup<'a>(bytes: &'a [u8], req: &Request, extra_facts: &[String]) -> Result<Entry<'a>, Miss> {
    let entry = decode(bytes)?;
    if entry.facts != facts_digest(req, extra_facts) {
        return Err(Miss("the Ruby or gem environment changed (Gem.path, platform, Ruby, fastbundle)".into()));
    }
    if entry.bundle_env != bundle_env_digest(req) {
        return Err(Miss("BUNDLE_* environment variables changed".into()));
    }
    if entry.env_digest != env_digest(&entry.env_names) {
        return Err(Miss(format!("ENV entries the Gemfile reads changed ({})", entry.env_names.join(", "))));
    }
    let shown = |p: &str| display_path(p, &req.root);
    for input in &entry.inputs {
        match input {
            Input::Stat { path, stamp } if Stamp::of(path) != *stamp => {
                return Err(Miss(format!("{} changed", shown(path))));
            }
            Input::Kind { path, kind } if PathKind::of(path) != *kind => {
                return Err(Miss(format!("{} changed", shown(path))));
            }
            _ => {}
        }
    }
    for input in &entry.inputs {
        match input {
            Input::File { path, hash } if file_hash(path) != *hash => {
                return Err(Miss(format!("{} changed", shown(path))));
            }
            _ => {}
        }
    }
    Ok(entry)
}

/// A path as the user knows it: relative to the app's root when inside it.
fn display_path(path: &str, root: &str) -> String {
    match path.strip_prefix(root).and_then(|rest| rest.strip_prefix('/')) {
        Some(rel) if !rel.is_empty() => rel.to_string(),
        _ => path.to_string(),
    }
}

pub fn decode(bytes: &[u8]) -> Result<Entry<'_>, Miss> {
    let damaged = |why: &str| Miss(format!("the cache entry is {why}"));
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(damaged("not a fastbundle plan entry of this format"));
    }
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    if word(8) != build_id() {
        return Err(Miss("the cache entry was written by another fastbundle build".into()));
    }
    let payload = &bytes[HEADER..];
    if word(16) != payload.len() as u64 {
        return Err(damaged("truncated"));
    }
    if word(24) != xxh3_64(payload) {
        return Err(damaged("damaged (checksum)"));
    }
    postcard::from_bytes(payload).map_err(|_| damaged("damaged (undecodable)"))
}

pub fn encode(entry: &Entry) -> Vec<u8> {
    frame(&postcard::to_stdvec(entry).expect("entries are plain data"))
}

/// A payload in this build's header (magic, build id, length, checksum).
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&build_id().to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxh3_64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of a whole entry file, whatever its header says (for the
/// fuzz target and tests: another build's entry, re-framed for this one).
pub fn payload(bytes: &[u8]) -> &[u8] {
    &bytes[bytes.len().min(HEADER)..]
}

/// Reads a whole entry file from a trusted cache dir: ours, not a
/// symlink, of a sane size. `None` means no usable file.
pub fn read_entry(dir: &Path, name: &str) -> Result<Vec<u8>, Miss> {
    let path = dir.join(name);
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|_| Miss("no cache entry yet".into()))?;
    let meta = file.metadata().map_err(|_| Miss("the cache entry cannot be read".into()))?;
    if !meta.is_file() || !cache_dir::trusted_metadata(&meta) || meta.len() > MAX_ENTRY {
        return Err(Miss("the cache entry is not a file of this user's alone".into()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes).map_err(|_| Miss("the cache entry cannot be read".into()))?;
    Ok(bytes)
}

/// Writes `bytes` as entry `name`, atomically (a private temporary file
/// renamed over the old entry). Any failure leaves the old entry, or none.
pub fn write_entry(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let nonce = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tmp: PathBuf = dir.join(format!(".{name}.{}.{nonce}.tmp", std::process::id()));
    let written = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        f.write_all(bytes)?;
        drop(f);
        fs::rename(&tmp, dir.join(name))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// The key's inputs for a plan made from `req`: what the core itself read
/// (lockfile, settings files, gem dirs) and what Ruby reports. `Err(path)`
/// if one of them changed since `since` (the boot began) or could not be
/// read: see the module doc.
pub fn inputs<'a>(
    req: &'a Request,
    extras: &'a Extras,
    owned: &'a Owned,
    since: SystemTime,
) -> Result<Vec<Input<'a>>, &'a str> {
    let mut inputs = Vec::new();
    let mut racy: Option<&'a str> = None;
    let mut stat = |path: &'a str, inputs: &mut Vec<Input<'a>>| {
        let stamp = Stamp::of(path);
        if stamp.is_some_and(|s| s.racy(since)) {
            racy.get_or_insert(path);
        }
        inputs.push(Input::Stat { path, stamp });
    };
    for dir in &owned.dirs {
        stat(dir, &mut inputs);
    }
    for dir in &extras.dirs {
        stat(dir, &mut inputs);
    }
    for file in &extras.code {
        stat(file, &mut inputs);
    }
    for path in &extras.tested {
        if fs::metadata(path).is_ok_and(|m| Stamp::from_metadata(&m).racy(since)) {
            racy.get_or_insert(path);
        }
        inputs.push(Input::Kind { path, kind: PathKind::of(path) });
    }
    let files = std::iter::once(req.lockfile.as_str())
        .chain(owned.settings_files.iter().map(String::as_str))
        .chain(extras.files.iter().map(String::as_str));
    for path in files {
        let hash = match fs::metadata(path) {
            Ok(meta) => {
                let hash = file_hash(path);
                // Changed during the boot, or there but unreadable: no answer to keep.
                if Stamp::from_metadata(&meta).racy(since) || hash.is_none() {
                    racy.get_or_insert(path);
                }
                hash
            }
            Err(_) => None,
        };
        inputs.push(Input::File { path, hash });
    }
    match racy {
        Some(path) => Err(path),
        None => Ok(inputs),
    }
}

/// Paths the core derives from a request, owned so [`Input`]s can borrow them.
#[derive(Clone, Debug, Default)]
pub struct Owned {
    pub dirs: Vec<String>,
    pub settings_files: Vec<String>,
}

impl Owned {
    /// The settings files Bundler reads for this request, and the dirs that
    /// say what is installed: each gem dir's `specifications/` and `gems/`,
    /// the bundle path's `bundler/gems/` (git checkouts), the default specs.
    pub fn for_request(req: &Request) -> Owned {
        let settings = Settings::load(Path::new(&req.root), &req.settings_env);
        let settings_files = [&settings.local_file, &settings.global_file]
            .into_iter()
            .flatten()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let (bundle_path, _) = crate::plan::bundle_path(req, &settings);
        let mut gem_dirs: Vec<&str> = req.gem_path.iter().map(String::as_str).collect();
        if !gem_dirs.contains(&bundle_path.as_str()) {
            gem_dirs.push(&bundle_path);
        }
        let mut dirs = Vec::new();
        for gem_dir in gem_dirs {
            dirs.push(format!("{gem_dir}/specifications"));
            dirs.push(format!("{gem_dir}/gems"));
        }
        dirs.push(format!("{bundle_path}/bundler/gems"));
        if let Some(d) = &req.default_specifications_dir {
            dirs.push(d.clone());
        }
        dirs.dedup();
        Owned { dirs, settings_files }
    }
}

/// `SourceKind` from its `as_str` name.
pub fn source_kind(name: &str) -> SourceKind {
    match name {
        "git" => SourceKind::Git,
        "path" => SourceKind::Path,
        "plugin" => SourceKind::Plugin,
        _ => SourceKind::Gem,
    }
}
