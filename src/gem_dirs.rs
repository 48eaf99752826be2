//! Installed gems, found the way RubyGems 3.3.15's `Gem::Specification.stubs`
//! finds them, from the stub header of each spec file.
//!
//! A spec file written by RubyGems starts with
//!
//! ```text
//! # -*- encoding: utf-8 -*-
//! # stub: nokogiri 1.16.0 x86_64-linux lib
//! # stub: ext/nokogiri/extconf.rb
//! ```
//!
//! (`Gem::StubSpecification#data`): line 2 holds name, version, platform and
//! the NUL-separated require paths, an optional line 3 the NUL-separated
//! extensions. That is all the load path needs, so each gem dir costs one
//! `read_dir` of `specifications/`, one of `gems/`, and a read of the first
//! few hundred bytes of each spec file; a spec without a stub header is
//! reported (`has_stub: false`) for the caller to evaluate in Ruby, as
//! RubyGems would.
//!
//! Paths are built like RubyGems builds them (`File.join`, and
//! `File.expand_path` where RubyGems expands): `full_gem_path` is
//! `<base>/gems/<full_name>`, the extension dir
//! `<base>/extensions/<Gem::Platform.local>/<Gem.extension_api_version>/<full_name>`
//! (`Gem.default_ext_dir_for` must be nil, as on Debian). Default gems use
//! `Gem.default_dir` as their base although their specs live in
//! `Gem.default_specifications_dir`: on Debian the specs are in
//! `/usr/lib/ruby/gems/3.1.0/specifications/default` while their
//! `full_gem_path` is `/var/lib/gems/3.1.0/gems/<full_name>`, a directory that
//! does not exist (their files are in Ruby's own lib dir).

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};

use crate::input_file;
use crate::parallel;
use crate::platform::{Platform, Rules};
use crate::version;

/// What to scan.
#[derive(Clone, Copy, Debug)]
pub struct ScanRequest<'a> {
    /// Gem dirs in `Gem.path` order (or the bundle path alone), absolute.
    pub gem_dirs: &'a [&'a str],
    /// `Gem.default_specifications_dir` and `Gem.default_dir`, when default
    /// gems count (RubyGems always adds them after `Gem.path`).
    pub default_specs: Option<DefaultSpecs<'a>>,
    /// `Gem::Platform.local.to_s`, e.g. `x86_64-linux`.
    pub platform: &'a str,
    /// `Gem.extension_api_version`, e.g. `3.1.0`.
    pub extension_api_version: &'a str,
    /// How this RubyGems reads a spec's platform (`x86_64-linux-gnu`).
    pub rules: Rules,
    /// Only spec files that can hold a gem of these names
    /// (`<name>-<version>[-<platform>].gemspec`) are read; `None`: all.
    /// A setup needs only the locked gems, and a machine may hold thousands.
    pub only_names: Option<&'a HashSet<&'a str>>,
}

#[derive(Clone, Copy, Debug)]
pub struct DefaultSpecs<'a> {
    pub specifications_dir: &'a str,
    pub base_dir: &'a str,
}

/// One installed spec, as `Gem::StubSpecification` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledSpec {
    pub name: String,
    /// `Gem::Version#to_s` (`1.0-rc1` reads `1.0.pre.rc1`; unparsable is `0`).
    pub version: String,
    /// `Gem::Platform#to_s`, `ruby` for none.
    pub platform: String,
    pub full_name: String,
    /// `full_require_paths`: each require path joined to `full_gem_path`,
    /// then the extension dir when the gem has extensions.
    pub require_paths: Vec<String>,
    pub full_gem_path: String,
    /// Set when the stub lists extensions.
    pub extension_dir: Option<String>,
    /// False for a gem with extensions whose `gem.build_complete` is missing
    /// (not a default gem): Bundler then ignores the spec unless the full
    /// gemspec says it was installed by hand (`installed_by_version` 0),
    /// which only Ruby can tell.
    pub extensions_built: bool,
    pub spec_file: String,
    /// Index into [`GemIndex::dirs`] of the gem dir holding the spec.
    pub gem_dir: usize,
    pub default_gem: bool,
    /// False: the file has no stub header and RubyGems evaluates it. Name,
    /// version and platform are then only guessed from the file name
    /// (`<full_name>.gemspec`) and `require_paths` is empty.
    pub has_stub: bool,
    pub full_gem_path_exists: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanError {
    pub path: String,
    pub kind: ScanErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanErrorKind {
    /// `specifications/` exists but cannot be listed (a missing one is no
    /// error: RubyGems skips it).
    UnreadableDir(String),
    /// The spec file cannot be read (RubyGems would raise).
    UnreadableSpec(String),
    /// A file name that is not UTF-8.
    NonUtf8Path,
    /// The stub header is not valid UTF-8 (RubyGems raises ArgumentError).
    InvalidUtf8,
    /// The stub line is empty (`# stub: `): RubyGems raises on it.
    BrokenStub,
    /// The spec is indexed but its `full_gem_path` does not exist
    /// (not reported for default gems).
    MissingGemDir,
    /// A stub header RubyGems would read but never writes, which would put
    /// a path outside the gem's directory on the load path (a name that is
    /// no gem name, a require path with `..` leading out): the spec is not
    /// indexed. Says why.
    Refused(String),
}

impl ScanError {
    pub fn message(&self) -> String {
        let p = &self.path;
        match &self.kind {
            ScanErrorKind::UnreadableDir(e) => format!("cannot list {p}: {e}"),
            ScanErrorKind::UnreadableSpec(e) => format!("cannot read the gemspec {p}: {e}"),
            ScanErrorKind::NonUtf8Path => format!("the gemspec path {p} is not UTF-8"),
            ScanErrorKind::InvalidUtf8 => format!("the stub header of {p} is not valid UTF-8"),
            ScanErrorKind::BrokenStub => {
                format!("the stub line of {p} is empty, not `# stub: name version platform require_paths`")
            }
            ScanErrorKind::MissingGemDir => format!("{p} has no gem directory"),
            ScanErrorKind::Refused(why) => format!("the gemspec {p} {why}"),
        }
    }
}

/// The installed specs: `Gem.path` order (each dir's files sorted by name,
/// as `Dir.glob` sorts), then default specs; for a repeated full name the
/// first wins, as `stubs.uniq(&:full_name)` keeps it.
#[derive(Clone, Debug, Default)]
pub struct GemIndex {
    /// The scanned gem dirs: the requested ones, then the default base dir.
    pub dirs: Vec<String>,
    pub specs: Vec<InstalledSpec>,
    pub errors: Vec<ScanError>,
    by_name: HashMap<String, Vec<usize>>,
    by_full_name: HashMap<String, usize>,
}

impl GemIndex {
    /// Specs of one name, in index order.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a InstalledSpec> + 'a {
        self.by_name.get(name).into_iter().flatten().map(move |&i| &self.specs[i])
    }

    pub fn find(&self, full_name: &str) -> Option<&InstalledSpec> {
        self.by_full_name.get(full_name).map(|&i| &self.specs[i])
    }

    fn push(&mut self, spec: InstalledSpec) {
        if self.by_full_name.contains_key(&spec.full_name) {
            return;
        }
        let at = self.specs.len();
        self.by_full_name.insert(spec.full_name.clone(), at);
        self.by_name.entry(spec.name.clone()).or_default().push(at);
        self.specs.push(spec);
    }
}

/// Scans the gem dirs, then the default specs. Never panics on bad input:
/// problems land in [`GemIndex::errors`].
pub fn scan(req: &ScanRequest<'_>) -> GemIndex {
    let mut index = GemIndex::default();
    let mut gems_listing: HashMap<String, HashSet<OsString>> = HashMap::new();
    let mut scanner = Scanner { req };
    for dir in req.gem_dirs {
        let base = strip_trailing_slashes(&absolute(dir));
        let spec_dir = file_join(&base, "specifications");
        index.dirs.push(base.clone());
        scanner.scan_dir(&mut index, &spec_dir, &base, false, &mut gems_listing);
    }
    if let Some(d) = req.default_specs {
        let base = absolute(d.base_dir);
        index.dirs.push(base.clone());
        scanner.scan_dir(&mut index, &absolute(d.specifications_dir), &base, true, &mut gems_listing);
    }
    index
}

const HEAD_CHUNK: usize = 512;
/// RubyGems writes a stub header of a few hundred bytes; a spec file whose
/// first three lines run past this was not written by it, and reading on
/// (a multi-gigabyte file without newlines, say) would cost the boot.
pub const MAX_STUB_HEAD: usize = 8 << 20;

/// What the directory listing says a spec file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryType {
    File,
    /// A FIFO, device or socket: opening or reading it can block forever.
    Special,
    /// A symlink or unknown (some file systems): checked once opened.
    Check,
}

impl EntryType {
    fn of(ft: Option<std::fs::FileType>) -> EntryType {
        match ft {
            Some(ft) if ft.is_file() || ft.is_dir() => EntryType::File,
            Some(ft) if ft.is_symlink() => EntryType::Check,
            Some(_) => EntryType::Special,
            None => EntryType::Check,
        }
    }
}
const STUB_PREFIX: &[u8] = b"# stub: ";

struct Scanner<'r, 'a> {
    req: &'r ScanRequest<'a>,
}

impl Scanner<'_, '_> {
    fn scan_dir(
        &mut self,
        index: &mut GemIndex,
        spec_dir: &str,
        base: &str,
        default_gem: bool,
        gems_listing: &mut HashMap<String, HashSet<OsString>>,
    ) {
        let entries = match std::fs::read_dir(spec_dir) {
            Ok(rd) => rd,
            // ENOTDIR (20): a path component is a file.
            Err(e) if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(20) => return,
            Err(e) => {
                index
                    .errors
                    .push(ScanError { path: spec_dir.to_owned(), kind: ScanErrorKind::UnreadableDir(e.to_string()) });
                return;
            }
        };
        // `Dir.glob("*.gemspec")`: no dot files, sorted bytewise. The entry
        // types come with the listing (no extra syscall).
        let mut names: Vec<(OsString, EntryType)> = entries
            .filter_map(|e| e.ok().map(|e| (e.file_name(), EntryType::of(e.file_type().ok()))))
            .filter(|(n, _)| {
                let b = n.as_encoded_bytes();
                b.len() > ".gemspec".len()
                    && b.ends_with(b".gemspec")
                    && b[0] != b'.'
                    && self.req.only_names.is_none_or(|names| may_hold(names, &b[..b.len() - ".gemspec".len()]))
            })
            .collect();
        names.sort_unstable_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
        if names.is_empty() {
            return;
        }
        let gems_dir = file_join(base, "gems");
        let listing = gems_listing.entry(gems_dir.clone()).or_insert_with(|| {
            std::fs::read_dir(&gems_dir)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect())
                .unwrap_or_default()
        });
        let dir_index = index.dirs.len() - 1;
        let mut files = Vec::with_capacity(names.len());
        for (name, entry_type) in &names {
            let Some(file_name) = name.to_str() else {
                let path = format!("{spec_dir}/{}", name.to_string_lossy());
                index.errors.push(ScanError { path, kind: ScanErrorKind::NonUtf8Path });
                continue;
            };
            files.push((file_name, expand(&file_join(spec_dir, file_name)), *entry_type));
        }
        // The reads are independent; the index is then built in file order.
        let stubs = parallel::map_init(
            &files,
            || Vec::with_capacity(HEAD_CHUNK),
            |buf, (_, path, entry_type)| read_stub(buf, path, *entry_type),
        );
        for ((file_name, spec_file, _), stub) in files.into_iter().zip(stubs) {
            let stem = &file_name[..file_name.len() - ".gemspec".len()];
            match stub {
                Err(kind) => index.errors.push(ScanError { path: spec_file, kind }),
                Ok(stub) => {
                    let spec = self.build(stub, stem, spec_file, base, &gems_dir, dir_index, default_gem, listing);
                    if let Some(why) = refusal(&spec) {
                        index.errors.push(ScanError { path: spec.spec_file, kind: ScanErrorKind::Refused(why) });
                        continue;
                    }
                    if !spec.full_gem_path_exists && !default_gem && spec.has_stub {
                        index
                            .errors
                            .push(ScanError { path: spec.spec_file.clone(), kind: ScanErrorKind::MissingGemDir });
                    }
                    index.push(spec);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        stub: Option<Stub>,
        stem: &str,
        spec_file: String,
        base: &str,
        gems_dir: &str,
        gem_dir: usize,
        default_gem: bool,
        listing: &HashSet<OsString>,
    ) -> InstalledSpec {
        let Some(stub) = stub else {
            let (name, version, platform) = guess_from_file_name(stem);
            let full_gem_path = expand(&file_join(gems_dir, stem));
            return InstalledSpec {
                name: name.to_owned(),
                version: version.to_owned(),
                platform: platform.to_owned(),
                full_name: stem.to_owned(),
                require_paths: Vec::new(),
                full_gem_path_exists: listing.contains(std::ffi::OsStr::new(stem)),
                full_gem_path,
                extension_dir: None,
                extensions_built: true,
                spec_file,
                gem_dir,
                default_gem,
                has_stub: false,
            };
        };
        let version = match &stub.version {
            Some(v) if version::is_correct(v) => v.trim().replace('-', ".pre."),
            Some(_) => "0".to_owned(),
            None => String::new(), // Gem::Version.new(nil)
        };
        let platform = Platform::parse(&stub.platform, self.req.rules).to_string();
        let full_name = if platform == "ruby" {
            format!("{}-{version}", stub.name)
        } else {
            format!("{}-{version}-{platform}", stub.name)
        };
        let full_gem_path = expand(&file_join(gems_dir, &full_name));
        let mut require_paths: Vec<String> = if stub.require_paths == "lib" {
            vec![file_join(&full_gem_path, "lib")]
        } else {
            ruby_split(&stub.require_paths, '\0').map(|p| file_join(&full_gem_path, p)).collect()
        };
        let extension_dir = stub.extensions.then(|| {
            let mut dir = file_join(base, "extensions");
            for part in [self.req.platform, self.req.extension_api_version, &full_name] {
                dir = file_join(&dir, part);
            }
            expand(&dir)
        });
        let extensions_built = match &extension_dir {
            Some(dir) if !default_gem => std::fs::metadata(file_join(dir, "gem.build_complete")).is_ok(),
            _ => true,
        };
        if let Some(dir) = &extension_dir {
            require_paths.push(dir.clone());
        }
        // The listing holds `gems/`'s entries; a name with a slash is not
        // one of them, so look such paths up directly.
        let full_gem_path_exists = if full_name.contains('/') {
            std::fs::metadata(&full_gem_path).is_ok()
        } else {
            listing.contains(std::ffi::OsStr::new(&full_name))
        };
        InstalledSpec {
            name: stub.name,
            version,
            platform,
            full_name,
            require_paths,
            full_gem_path,
            extension_dir,
            extensions_built,
            spec_file,
            gem_dir,
            default_gem,
            has_stub: true,
            full_gem_path_exists,
        }
    }
}

/// Why a stub must not be used, if it must not: RubyGems' installer
/// refuses names outside `Gem::Specification::VALID_NAME_PATTERN`
/// (`[A-Za-z0-9._-]+`), so such a stub was planted, and every path built
/// from it must stay inside the gem's directory. A NUL in a path would make
/// Ruby raise on every `require`.
fn refusal(spec: &InstalledSpec) -> Option<String> {
    if !spec.has_stub {
        return None;
    }
    let valid_name = !spec.name.is_empty()
        && spec.name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !valid_name {
        return Some(format!("names the gem `{}`, which is no valid gem name", spec.name.escape_debug()));
    }
    if spec.full_name.contains('/') || spec.full_name.contains('\0') {
        return Some(format!("names the platform `{}`, which is no valid platform", spec.platform.escape_debug()));
    }
    let inside = format!("{}/", spec.full_gem_path);
    for path in &spec.require_paths {
        if spec.extension_dir.as_deref() == Some(path.as_str()) {
            continue;
        }
        if path.contains('\0') || (expand(path) != spec.full_gem_path && !expand(path).starts_with(&inside)) {
            return Some(format!(
                "lists the require path `{}`, outside its gem directory {}",
                path[spec.full_gem_path.len().min(path.len())..].trim_start_matches('/').escape_debug(),
                spec.full_gem_path
            ));
        }
    }
    None
}

/// `Gem::StubSpecification#data`, without evaluating anything. `buf` is
/// reused from file to file.
fn read_stub(buf: &mut Vec<u8>, path: &str, entry_type: EntryType) -> Result<Option<Stub>, ScanErrorKind> {
    let unreadable = |e: io::Error| ScanErrorKind::UnreadableSpec(e.to_string());
    let special = || ScanErrorKind::UnreadableSpec("it is a named pipe, device or socket, not a regular file".into());
    if entry_type == EntryType::Special {
        return Err(special());
    }
    let mut file: File = input_file::open_nonblocking(std::path::Path::new(path)).map_err(unreadable)?;
    if entry_type == EntryType::Check {
        let meta = file.metadata().map_err(unreadable)?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(special());
        }
    }
    buf.clear();
    // Read until line 3 is complete (or EOF): line 1 is skipped, line 2
    // is the stub, and line 3 must exist (`readline` raising EOFError
    // there leaves RubyGems without a stub). Stop early once line 2 is
    // known not to be a stub.
    while !enough(buf) {
        if buf.len() >= MAX_STUB_HEAD {
            return Err(ScanErrorKind::UnreadableSpec(format!(
                "its first lines run past {} KiB without the stub header RubyGems writes",
                MAX_STUB_HEAD >> 10
            )));
        }
        // Doubling keeps a long first line linear to read and scan.
        let len = buf.len();
        buf.resize(len + len.max(HEAD_CHUNK), 0);
        let n = loop {
            match file.read(&mut buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(unreadable(e)),
            }
        };
        buf.truncate(len + n);
        if n == 0 {
            break;
        }
    }
    parse_stub(buf)
}

/// The stub header in the first bytes of a spec file (at least its first
/// three lines, or all of it): `None` when there is none (RubyGems then
/// evaluates the file), an error where RubyGems raises.
pub fn parse_stub(buf: &[u8]) -> Result<Option<Stub>, ScanErrorKind> {
    let Some(end1) = memchr(buf, b'\n') else { return Ok(None) };
    let rest = &buf[end1 + 1..];
    let (line2, after2) = split_line(rest);
    let Some(after2) = after2 else { return Ok(None) };
    let line2 = chomp(line2);
    let Some(data) = line2.strip_prefix(STUB_PREFIX) else { return Ok(None) };
    if after2.is_empty() {
        return Ok(None);
    }
    let line3 = chomp(split_line(after2).0);
    let (Ok(data), Ok(line3)) = (std::str::from_utf8(data), std::str::from_utf8(line3)) else {
        return Err(ScanErrorKind::InvalidUtf8);
    };
    let extensions = line3.strip_prefix("# stub: ").is_some_and(|e| e.bytes().any(|b| b != 0));
    // `Gem::StubSpecification::StubLine`: a short line still makes a
    // stub (missing version: `""`, missing platform: ruby) whose require
    // paths are its *last* field; only an empty one makes RubyGems raise.
    let parts = awk_split4(data);
    let Some(&last) = parts.last() else { return Err(ScanErrorKind::BrokenStub) };
    Ok(Some(Stub {
        name: parts[0].to_owned(),
        version: parts.get(1).map(|v| (*v).to_owned()),
        platform: parts.get(2).map_or("ruby", |p| *p).to_owned(),
        require_paths: last.to_owned(),
        extensions,
    }))
}

/// `Gem::StubSpecification::StubLine`, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stub {
    pub name: String,
    /// `None`: the line had no version field.
    pub version: Option<String>,
    pub platform: String,
    /// NUL-separated.
    pub require_paths: String,
    pub extensions: bool,
}

/// Whether a spec file named `<stem>.gemspec` can hold a gem of one of
/// `names`: the stem is `<name>-<version>[-<platform>]`, and names may
/// contain dashes themselves, so every dash is a candidate end of the name.
fn may_hold(names: &HashSet<&str>, stem: &[u8]) -> bool {
    stem.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'-')
        .any(|(i, _)| std::str::from_utf8(&stem[..i]).is_ok_and(|name| names.contains(name)))
}

/// Whether the head read so far decides the stub.
fn enough(buf: &[u8]) -> bool {
    let Some(end1) = memchr(buf, b'\n') else { return false };
    let rest = &buf[end1 + 1..];
    let end2 = memchr(rest, b'\n');
    let line2 = &rest[..end2.unwrap_or(rest.len())];
    if (end2.is_some() || line2.len() >= STUB_PREFIX.len()) && !line2.starts_with(STUB_PREFIX) {
        return true;
    }
    end2.is_some_and(|e| memchr(&rest[e + 1..], b'\n').is_some())
}

fn memchr(b: &[u8], c: u8) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

/// The line up to `\n`, and what follows it (`None` at EOF without `\n`).
fn split_line(b: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr(b, b'\n') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    }
}

/// `String#chomp` of a line that had its `\n` removed: one trailing `\r`.
fn chomp(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Ruby's `str.split(" ", 4)`: awk-style fields over ASCII whitespace, the
/// fourth is the rest of the line; a trailing empty field is kept.
fn awk_split4(s: &str) -> Vec<&str> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let b = s.as_bytes();
    let mut parts = Vec::with_capacity(4);
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if i == b.len() {
        return if b.is_empty() { parts } else { vec![""] };
    }
    loop {
        if parts.len() == 3 {
            parts.push(&s[i..]);
            return parts;
        }
        let start = i;
        while i < b.len() && !is_space(b[i]) {
            i += 1;
        }
        parts.push(&s[start..i]);
        if i == b.len() {
            return parts;
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i == b.len() {
            parts.push("");
            return parts;
        }
    }
}

/// Ruby's `str.split(sep)` with a one-character separator: trailing empty
/// fields dropped.
fn ruby_split(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let trimmed = s.trim_end_matches(sep);
    let mut it = trimmed.split(sep);
    if trimmed.is_empty() {
        it.next();
    }
    it
}

/// `File.join(a, b)`: one separator between, none doubled at the seam.
fn file_join(a: &str, b: &str) -> String {
    let mut out = String::with_capacity(a.len() + b.len() + 1);
    if b.starts_with('/') {
        out.push_str(a.trim_end_matches('/'));
    } else {
        out.push_str(a);
        if !a.ends_with('/') {
            out.push('/');
        }
    }
    out.push_str(b);
    out
}

fn strip_trailing_slashes(s: &str) -> String {
    let t = s.trim_end_matches('/');
    if t.is_empty() && !s.is_empty() {
        "/".to_owned()
    } else {
        t.to_owned()
    }
}

/// A gem dir as given, made absolute against the working directory.
fn absolute(dir: &str) -> String {
    if dir.starts_with('/') {
        return dir.to_owned();
    }
    match std::env::current_dir() {
        Ok(cwd) => expand(&file_join(&cwd.to_string_lossy(), dir)),
        Err(_) => dir.to_owned(),
    }
}

/// `File.expand_path` of an absolute path, lexically: `.`, `..` and
/// repeated slashes resolved, no trailing slash.
fn expand(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Splits `name-version[-platform]` at the first `-<digit>`: a guess for a
/// spec RubyGems must evaluate.
fn guess_from_file_name(stem: &str) -> (&str, &str, &str) {
    let b = stem.as_bytes();
    let Some(dash) = (0..b.len()).find(|&i| b[i] == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) else {
        return (stem, "", "ruby");
    };
    let rest = &stem[dash + 1..];
    match rest.find('-') {
        Some(p) => (&stem[..dash], &rest[..p], &rest[p + 1..]),
        None => (&stem[..dash], rest, "ruby"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_spec_files_that_can_hold_a_wanted_name_are_read() {
        let names: HashSet<&str> = ["rack", "rack-test", "x"].into_iter().collect();
        assert!(may_hold(&names, b"rack-3.0.8"));
        assert!(may_hold(&names, b"rack-test-2.1.0"));
        assert!(may_hold(&names, b"x-1.0-x86_64-linux"));
        assert!(!may_hold(&names, b"rack"));
        assert!(!may_hold(&names, b"racks-1.0"));
        // A superset is harmless: the stub header names the gem.
        assert!(may_hold(&names, b"rack-session-2.0.0"));
        assert!(!may_hold(&names, b"y-1.0"));
    }

    #[test]
    fn awk_split_like_ruby() {
        assert_eq!(awk_split4("a b  c d e"), ["a", "b", "c", "d e"]);
        assert_eq!(awk_split4("  a b c d  "), ["a", "b", "c", "d  "]);
        assert_eq!(awk_split4("a b c"), ["a", "b", "c"]);
        assert_eq!(awk_split4("a b c "), ["a", "b", "c", ""]);
        assert_eq!(awk_split4("a b "), ["a", "b", ""]);
        assert_eq!(awk_split4("a\tb c d\0e f "), ["a", "b", "c", "d\0e f "]);
        assert_eq!(awk_split4(""), Vec::<&str>::new());
        assert_eq!(awk_split4("   "), [""]);
    }

    #[test]
    fn split_and_join_like_ruby() {
        assert_eq!(ruby_split("", '\0').count(), 0);
        assert_eq!(ruby_split("\0", '\0').count(), 0);
        assert_eq!(ruby_split("a\0\0", '\0').collect::<Vec<_>>(), ["a"]);
        assert_eq!(ruby_split("\0a", '\0').collect::<Vec<_>>(), ["", "a"]);
        assert_eq!(file_join("/a", "lib"), "/a/lib");
        assert_eq!(file_join("/a/", "/lib"), "/a/lib");
        assert_eq!(file_join("/a", ""), "/a/");
        assert_eq!(file_join("/a", "./lib/"), "/a/./lib/");
        assert_eq!(file_join("", "lib"), "/lib");
        assert_eq!(expand("/a/./b/../c/"), "/a/c");
        assert_eq!(expand("/.."), "/");
        assert_eq!(expand("/a//b"), "/a/b");
    }

    #[test]
    fn guesses_names() {
        assert_eq!(guess_from_file_name("net-http-0.4.1"), ("net-http", "0.4.1", "ruby"));
        assert_eq!(guess_from_file_name("nokogiri-1.16.0-x86_64-linux"), ("nokogiri", "1.16.0", "x86_64-linux"));
        assert_eq!(guess_from_file_name("odd"), ("odd", "", "ruby"));
    }
}
