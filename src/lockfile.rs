//! Gemfile.lock, parsed the way Bundler's `LockfileParser` reads it.
//!
//! The parser owns the lockfile text and records every field as a [`Span`]
//! (byte offsets) into it, so a parse allocates per section and per spec list,
//! never per line. Semantics follow Bundler 2.3–2.5: sections are recognised
//! by their exact header line, unknown sections are skipped, blank lines and
//! CRLF endings are ignored, a later duplicate spec or dependency replaces an
//! earlier one. Where Bundler silently skips a line it cannot read inside a
//! known section (a tab-indented or oddly indented line), [`Lockfile::parse`]
//! stops with an error naming the line instead: a skipped spec line only
//! resurfaces later as a far more confusing "gem not found".
//! [`Lockfile::parse_bytes_lenient`] (what a setup uses) passes over such
//! lines as Bundler does and returns them, for the setup to get Bundler's
//! status code and still name the lines.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use crate::redact::redact;
use crate::version;

/// A byte range of the lockfile text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Gem,
    Git,
    Path,
    Plugin,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Gem => "gem",
            SourceKind::Git => "git",
            SourceKind::Path => "path",
            SourceKind::Plugin => "plugin",
        }
    }
}

/// One GIT / PATH / PLUGIN SOURCE / GEM section.
#[derive(Clone, Debug)]
pub struct Source {
    pub kind: SourceKind,
    /// `remote:` values in file order (Bundler reverses GEM remotes into
    /// priority order; we keep what is written).
    pub remotes: Vec<Span>,
    /// Every other `key: value` line, in file order (keys may repeat).
    pub options: Vec<(Span, Span)>,
    /// 1-based line of the section header.
    pub line: u32,
}

/// A `name (version[-platform])` line under `specs:`.
#[derive(Clone, Debug)]
pub struct LockedSpec {
    pub name: Span,
    pub version: Span,
    /// `None` for the `ruby` platform.
    pub platform: Option<Span>,
    /// Index into [`Lockfile::sources`].
    pub source: u32,
    /// Range into [`Lockfile::spec_deps`].
    pub deps_start: u32,
    pub deps_end: u32,
    pub line: u32,
}

/// A 6-space dependency line of a spec, or a DEPENDENCIES entry.
#[derive(Clone, Copy, Debug)]
pub struct Dep {
    pub name: Span,
    /// The text between the parentheses (`>= 1.0, < 2`), if any.
    pub requirements: Option<Span>,
}

#[derive(Clone, Copy, Debug)]
pub struct LockedDependency {
    pub dep: Dep,
    pub pinned: bool,
    pub line: u32,
}

#[derive(Clone, Copy, Debug)]
pub struct Checksum {
    pub name: Span,
    pub version: Span,
    pub platform: Option<Span>,
    /// `sha256=…` (comma-separated algorithms allowed), `None` when absent.
    pub value: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Lockfile {
    text: Box<str>,
    pub sources: Vec<Source>,
    pub specs: Vec<LockedSpec>,
    pub spec_deps: Vec<Dep>,
    pub platforms: Vec<Span>,
    pub dependencies: Vec<LockedDependency>,
    pub checksums: Vec<Checksum>,
    pub ruby_version: Option<Span>,
    pub bundled_with: Option<Span>,
}

/// Why a lockfile could not be read. Rendered with the file's name by
/// [`LockfileError::message`]; never contains credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockfileError {
    /// 1-based line, when the problem has one.
    pub line: Option<u32>,
    pub kind: LockfileErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockfileErrorKind {
    MergeConflict,
    InvalidUtf8,
    TooLarge,
    /// `expected` says what the grammar wanted, `found` is the offending line
    /// (credentials redacted, shortened).
    Syntax { expected: &'static str, found: String },
}

impl LockfileError {
    /// The user-facing message, naming `path` as the user knows it.
    pub fn message(&self, path: &str) -> String {
        let at = match self.line {
            Some(line) => format!("{path}:{line}"),
            None => path.to_string(),
        };
        match &self.kind {
            LockfileErrorKind::MergeConflict => format!(
                "Your {path} contains merge conflicts (first marker on line {}).\n\
                 Run `git checkout HEAD -- {path}` first to get a clean lock.",
                self.line.unwrap_or(0)
            ),
            LockfileErrorKind::InvalidUtf8 => format!(
                "Your lockfile is unreadable: {at}: the file is not valid UTF-8.\n\
                 Restore {path} from version control, or run `bundle install` to write a new one."
            ),
            LockfileErrorKind::TooLarge => format!(
                "Your lockfile is unreadable: {at}: the file is larger than 4 GiB."
            ),
            LockfileErrorKind::Syntax { expected, found } => format!(
                "Your lockfile is unreadable: {at}: expected {expected}, found `{found}`.\n\
                 Fix that line (or restore {path} from version control) and run `bundle install`."
            ),
        }
    }
}

impl fmt::Display for LockfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("Gemfile.lock"))
    }
}

impl std::error::Error for LockfileError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Skip,
    Source,
    Dependencies,
    Platforms,
    Checksums,
    RubyVersion,
    BundledWith,
}

/// What the grammar of a name-version line yields.
struct NameVersion {
    name: Span,
    /// Text inside the parentheses, split at the first `-`.
    version: Option<Span>,
    platform: Option<Span>,
    pinned: bool,
}

const MAX_FOUND: usize = 120;

// Lines Bundler does not skip: a malformed version or requirement raises
// (its LockfileError, 20), and a spec before `specs:` crashes it.
const EXPECTED_VERSION: &str = "a spec line `    name (version)` with a valid version";
const EXPECTED_REQUIREMENTS: &str = "version requirements like `>= 1.0, < 2`";
const EXPECTED_SPECS_FIRST: &str = "`  specs:` before the first spec line";
// A setup refuses what RubyGems could never have installed: a spec name
// outside `Gem::Specification::VALID_NAME_PATTERN`, a platform with other
// characters (`/`, `..` with a slash, NUL, spaces, shell metacharacters).
const EXPECTED_GEM_NAME: &str = "a gem name of letters, digits, `.`, `-` and `_`";
const EXPECTED_PLATFORM: &str = "a platform of letters, digits, `.`, `-` and `_`";

impl LockfileError {
    /// One line for a list: `path:line: expected ..., found `...``.
    pub fn brief(&self, path: &str) -> String {
        let at = match self.line {
            Some(line) => format!("{path}:{line}"),
            None => path.to_string(),
        };
        match &self.kind {
            LockfileErrorKind::Syntax { expected, found } => format!("{at}: expected {expected}, found `{found}`"),
            _ => self.message(path),
        }
    }

    /// Whether a setup refused a spec name or platform RubyGems never
    /// installs (a lenient parse only; Bundler's parser reads them).
    pub fn is_invalid_name(&self) -> bool {
        matches!(&self.kind, LockfileErrorKind::Syntax { expected, .. } if [EXPECTED_GEM_NAME, EXPECTED_PLATFORM].contains(expected))
    }

    /// Whether Bundler's parser passes over the line (so a lenient parse may).
    pub fn bundler_skips_line(&self) -> bool {
        match &self.kind {
            LockfileErrorKind::Syntax { expected, .. } => {
                ![EXPECTED_VERSION, EXPECTED_REQUIREMENTS, EXPECTED_SPECS_FIRST, EXPECTED_GEM_NAME, EXPECTED_PLATFORM]
                    .contains(expected)
            }
            _ => false,
        }
    }
}

fn found_text(line: &str) -> String {
    let line = redact(line);
    if line.len() <= MAX_FOUND {
        return line.into_owned();
    }
    let mut cut = MAX_FOUND;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &line[..cut])
}

impl Lockfile {
    /// Parses bytes (the lockfile need not be valid UTF-8 to get a precise error).
    pub fn parse_bytes(bytes: &[u8]) -> Result<Lockfile, LockfileError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Lockfile::parse(text),
            Err(e) => {
                let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                Err(LockfileError { line: Some(line as u32), kind: LockfileErrorKind::InvalidUtf8 })
            }
        }
    }

    pub fn parse(text: &str) -> Result<Lockfile, LockfileError> {
        if text.len() > u32::MAX as usize {
            return Err(LockfileError { line: None, kind: LockfileErrorKind::TooLarge });
        }
        Parser::new(text).run()
    }

    /// Reads the lockfile as Bundler's runtime does: a line Bundler's
    /// parser passes over (an odd indentation, a tab, a platform or Bundler
    /// version it cannot read, a spec or dependency line that is not
    /// `name (version)`) is passed over here too and returned, so that what
    /// follows from it (usually a gem missing from the lockfile) gets
    /// Bundler's status code, and the message can name the line. A
    /// dependency line Bundler reads as an oddly named dependency is kept
    /// under that name. Malformed versions and requirements, merge conflicts
    /// and invalid UTF-8 are still errors, and so (unlike Bundler, which
    /// reads them and then looks for such gems) are spec names and
    /// platforms RubyGems could never have installed: `/`, `..` paths, NUL,
    /// shell metacharacters.
    pub fn parse_bytes_lenient(bytes: &[u8]) -> Result<(Lockfile, Vec<LockfileError>), LockfileError> {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => return Lockfile::parse_bytes(bytes).map(|l| (l, Vec::new())),
        };
        if text.len() > u32::MAX as usize {
            return Err(LockfileError { line: None, kind: LockfileErrorKind::TooLarge });
        }
        let mut parser = Parser::new(text);
        parser.lenient = true;
        parser.run_collecting()
    }

    /// The text a span points at.
    #[inline]
    pub fn str(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The dependency lines of a spec.
    pub fn deps_of(&self, spec: &LockedSpec) -> &[Dep] {
        &self.spec_deps[spec.deps_start as usize..spec.deps_end as usize]
    }

    /// Requirement strings of a dependency, as written (`[]` when none).
    pub fn requirements<'a>(&'a self, dep: &Dep) -> impl Iterator<Item = &'a str> + 'a {
        let text = dep.requirements.map(|s| self.str(s)).unwrap_or("");
        text.split(',').map(str::trim).filter(|r| !r.is_empty())
    }

    pub fn platform_str(&self, platform: Option<Span>) -> &str {
        platform.map(|p| self.str(p)).unwrap_or("ruby")
    }

    /// `name-version[-platform]`, as RubyGems names an installed spec.
    pub fn full_name(&self, spec: &LockedSpec) -> String {
        full_name(self.str(spec.name), self.str(spec.version), spec.platform.map(|p| self.str(p)))
    }
}

pub fn full_name(name: &str, version: &str, platform: Option<&str>) -> String {
    match platform {
        Some(p) if p != "ruby" => format!("{name}-{version}-{p}"),
        _ => format!("{name}-{version}"),
    }
}

/// The keys hashed here are short names from trusted-size input; SipHash's
/// DoS resistance buys nothing and costs a fifth of the parse.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

struct Parser<'t> {
    text: &'t str,
    lock: Lockfile,
    state: State,
    /// The section being read: its kind and whether `specs:` was seen.
    pending: Option<Source>,
    in_specs: bool,
    /// The spec that 6-space dependency lines attach to.
    current_spec: Option<usize>,
    /// (name, version, platform) → index into specs, to replace duplicates.
    spec_index: FxMap<(&'t str, &'t str, &'t str), usize>,
    dep_index: FxMap<&'t str, usize>,
    line_no: u32,
    line: &'t str,
    /// Pass over the lines Bundler passes over, collecting them in `skipped`.
    lenient: bool,
    skipped: Vec<LockfileError>,
    /// The spec line just passed over: its dependency lines go with it.
    orphaned: bool,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Parser<'t> {
        Parser {
            text,
            lock: Lockfile {
                text: Box::from(""),
                sources: Vec::new(),
                specs: Vec::new(),
                spec_deps: Vec::new(),
                platforms: Vec::new(),
                dependencies: Vec::new(),
                checksums: Vec::new(),
                ruby_version: None,
                bundled_with: None,
            },
            state: State::Skip,
            pending: None,
            in_specs: false,
            current_spec: None,
            spec_index: FxMap::default(),
            dep_index: FxMap::default(),
            line_no: 0,
            line: "",
            lenient: false,
            skipped: Vec::new(),
            orphaned: false,
        }
    }

    fn run(self) -> Result<Lockfile, LockfileError> {
        self.run_collecting().map(|(lock, _)| lock)
    }

    fn run_collecting(mut self) -> Result<(Lockfile, Vec<LockfileError>), LockfileError> {
        self.check_merge_conflicts()?;
        // Size the tables once: a spec or dependency line is at least ~8 bytes.
        let estimate = self.text.len() / 48;
        self.lock.specs.reserve(estimate);
        self.lock.spec_deps.reserve(estimate);
        self.spec_index.reserve(estimate);
        let text = self.text;
        let mut start = 0usize;
        while start < text.len() {
            let end = memchr_newline(text.as_bytes(), start).unwrap_or(text.len());
            self.line_no += 1;
            let mut line = &text[start..end];
            if let Some(stripped) = line.strip_suffix('\r') {
                line = stripped;
            }
            if !line.is_empty() {
                self.line = line;
                if let Err(e) = self.parse_line(start) {
                    if !(self.lenient && e.bundler_skips_line()) {
                        return Err(e);
                    }
                    self.pass_over(start);
                    self.skipped.push(e);
                }
            }
            start = end + 1;
        }
        self.finish_source()?;
        self.lock.text = Box::from(text);
        Ok((self.lock, self.skipped))
    }

    /// What Bundler makes of a line it cannot read as `name (version)`: its
    /// name pattern is lazy, so a 2-space DEPENDENCIES line or a 6-space
    /// dependency line becomes a dependency named by the whole rest of the
    /// line (which no spec matches); a 4-space spec line becomes a spec no
    /// dependency can match, so the dependency lines under it go nowhere.
    fn pass_over(&mut self, base: usize) {
        let line = self.line;
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        let rest = &line[indent..];
        let (rest, pinned) = match rest.strip_suffix('!') {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let usable = !rest.is_empty() && !rest.starts_with(|c: char| c.is_whitespace());
        match (self.state, indent) {
            (State::Dependencies, 2) if usable => {
                let dep = Dep { name: self.span(base, rest), requirements: None };
                self.lock.dependencies.push(LockedDependency { dep, pinned, line: self.line_no });
            }
            (State::Source, 6) if usable && self.in_specs => {
                if let Some(current) = self.current_spec {
                    self.lock.spec_deps.push(Dep { name: self.span(base, rest), requirements: None });
                    self.lock.specs[current].deps_end = self.lock.spec_deps.len() as u32;
                }
            }
            (State::Source, 4) => {
                self.current_spec = None;
                self.orphaned = true;
            }
            _ => {}
        }
    }

    /// Bundler refuses a lockfile containing any conflict marker, anywhere.
    /// A marker is a run of seven equal bytes, so it always covers a position
    /// `i ≡ 6 (mod 7)`: probing those positions reads a seventh of the file.
    fn check_merge_conflicts(&self) -> Result<(), LockfileError> {
        let bytes = self.text.as_bytes();
        let mut i = 6;
        while i < bytes.len() {
            let b = bytes[i];
            if matches!(b, b'<' | b'=' | b'>' | b'|') {
                let start = bytes[i.saturating_sub(6)..=i].iter().rposition(|&c| c != b).map_or(i.saturating_sub(6), |p| i - 6 + p + 1);
                let end = bytes[i..].iter().position(|&c| c != b).map_or(bytes.len(), |p| i + p);
                if end - start >= 7 {
                    let line = 1 + bytes[..start].iter().filter(|&&c| c == b'\n').count();
                    return Err(LockfileError { line: Some(line as u32), kind: LockfileErrorKind::MergeConflict });
                }
            }
            i += 7;
        }
        Ok(())
    }

    fn error(&self, expected: &'static str) -> LockfileError {
        LockfileError {
            line: Some(self.line_no),
            kind: LockfileErrorKind::Syntax { expected, found: found_text(self.line) },
        }
    }

    fn span(&self, base: usize, s: &str) -> Span {
        // `s` is a subslice of the current line, which starts at `base` bytes
        // into the text.
        let off = s.as_ptr() as usize - self.line.as_ptr() as usize + base;
        Span::new(off, off + s.len())
    }

    fn parse_line(&mut self, base: usize) -> Result<(), LockfileError> {
        let line = self.line;
        let first = line.as_bytes()[0];
        if !is_ruby_space(first) {
            return self.start_section(line);
        }
        if self.state == State::Skip {
            return Ok(());
        }
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        if line.as_bytes().get(indent) == Some(&b'\t') {
            return Err(self.error("indentation with spaces (a tab was found)"));
        }
        match self.state {
            State::Skip => Ok(()),
            State::Source => self.parse_source_line(base),
            State::Dependencies => {
                let nv = self.name_version(base, 2, "a dependency line `  name (requirements)`")?;
                let dep = LockedDependency {
                    dep: Dep { name: nv.name, requirements: nv.version.map(|v| self.join_version(v, nv.platform)) },
                    pinned: nv.pinned,
                    line: self.line_no,
                };
                self.check_requirements(dep.dep.requirements)?;
                let name = self.slice(nv.name);
                match self.dep_index.get(name) {
                    Some(&i) => self.lock.dependencies[i] = dep,
                    None => {
                        self.dep_index.insert(name, self.lock.dependencies.len());
                        self.lock.dependencies.push(dep);
                    }
                }
                Ok(())
            }
            State::Platforms => {
                let value = line.strip_prefix("  ").map(str::trim).unwrap_or("");
                if value.is_empty() || line.as_bytes()[2] == b' ' {
                    return Err(self.error("a platform indented by two spaces"));
                }
                let span = self.span(base, value);
                self.lock.platforms.push(span);
                Ok(())
            }
            State::Checksums => self.parse_checksum(base),
            State::RubyVersion => {
                self.lock.ruby_version = Some(self.span(base, line.trim()));
                Ok(())
            }
            State::BundledWith => {
                let value = line.trim();
                if !version::is_correct(value) || value.is_empty() {
                    return Err(self.error("a Bundler version"));
                }
                self.lock.bundled_with = Some(self.span(base, value));
                Ok(())
            }
        }
    }

    fn slice(&self, span: Span) -> &'t str {
        &self.text[span.start as usize..span.end as usize]
    }

    /// A requirement list can contain `-` (prerelease versions are written
    /// with dots, but a platform-looking split must not lose text), so the
    /// two halves the name-version grammar split are joined back.
    fn join_version(&self, version: Span, platform: Option<Span>) -> Span {
        match platform {
            Some(p) => Span { start: version.start, end: p.end },
            None => version,
        }
    }

    fn check_requirements(&self, reqs: Option<Span>) -> Result<(), LockfileError> {
        if let Some(span) = reqs {
            for req in self.slice(span).split(',') {
                if !version::is_requirement(req) {
                    return Err(self.error(EXPECTED_REQUIREMENTS));
                }
            }
        }
        Ok(())
    }

    fn start_section(&mut self, line: &str) -> Result<(), LockfileError> {
        self.finish_source()?;
        self.current_spec = None;
        self.orphaned = false;
        self.state = match line {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                let kind = match line {
                    "GEM" => SourceKind::Gem,
                    "GIT" => SourceKind::Git,
                    "PATH" => SourceKind::Path,
                    _ => SourceKind::Plugin,
                };
                self.pending = Some(Source { kind, remotes: Vec::new(), options: Vec::new(), line: self.line_no });
                self.in_specs = false;
                State::Source
            }
            "DEPENDENCIES" => State::Dependencies,
            "PLATFORMS" => State::Platforms,
            "CHECKSUMS" => State::Checksums,
            "RUBY VERSION" => State::RubyVersion,
            "BUNDLED WITH" => State::BundledWith,
            _ => State::Skip,
        };
        Ok(())
    }

    /// Bundler registers a source only once its `specs:` line is read.
    fn finish_source(&mut self) -> Result<(), LockfileError> {
        if let Some(source) = self.pending.take() {
            if self.in_specs {
                self.lock.sources.push(source);
            }
        }
        self.in_specs = false;
        Ok(())
    }

    fn parse_source_line(&mut self, base: usize) -> Result<(), LockfileError> {
        let line = self.line;
        if line == "  specs:" {
            if self.in_specs {
                return Err(self.error("one `specs:` line per section"));
            }
            self.in_specs = true;
            let source = self.pending.take().expect("pending source in source state");
            self.lock.sources.push(source);
            return Ok(());
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent == 2 {
            // `  key: value`, key made of ASCII letters (Bundler's OPTIONS).
            let body = &line[2..];
            let key_len = body.bytes().take_while(u8::is_ascii_alphabetic).count();
            if key_len > 0 && body[key_len..].starts_with(": ") {
                if self.in_specs {
                    return Err(self.error("the section's options before its `specs:` line"));
                }
                let key = self.span(base, &body[..key_len]);
                let value = self.span(base, &body[key_len + 2..]);
                let source = self.pending.as_mut().expect("pending source before specs");
                if &body[..key_len] == "remote" {
                    source.remotes.push(value);
                } else {
                    source.options.push((key, value));
                }
                return Ok(());
            }
            return Err(self.error("`  key: value` or `  specs:`"));
        }
        if !self.in_specs {
            return Err(self.error(EXPECTED_SPECS_FIRST));
        }
        match indent {
            4 => {
                let nv = self.name_version(base, 4, "a spec line `    name (version)`")?;
                let version = match nv.version {
                    Some(v) if !v.is_empty() && version::is_correct(self.slice(v)) => v,
                    _ => return Err(self.error(EXPECTED_VERSION)),
                };
                let platform = nv.platform.filter(|p| self.slice(*p) != "ruby");
                if self.lenient {
                    if !is_gem_word(self.slice(nv.name)) {
                        return Err(self.error(EXPECTED_GEM_NAME));
                    }
                    if platform.is_some_and(|p| !is_gem_word(self.slice(p))) {
                        return Err(self.error(EXPECTED_PLATFORM));
                    }
                }
                let source = (self.lock.sources.len() - 1) as u32;
                let deps_at = self.lock.spec_deps.len() as u32;
                let spec = LockedSpec {
                    name: nv.name,
                    version,
                    platform,
                    source,
                    deps_start: deps_at,
                    deps_end: deps_at,
                    line: self.line_no,
                };
                let key = (self.slice(nv.name), self.slice(version), platform.map(|p| self.slice(p)).unwrap_or("ruby"));
                // A repeated spec replaces the earlier one in place, as a Ruby
                // Hash keyed by identifier does in Bundler.
                let at = match self.spec_index.get(&key) {
                    Some(&i) => {
                        self.lock.specs[i] = spec;
                        i
                    }
                    None => {
                        self.spec_index.insert(key, self.lock.specs.len());
                        self.lock.specs.push(spec);
                        self.lock.specs.len() - 1
                    }
                };
                self.current_spec = Some(at);
                self.orphaned = false;
                Ok(())
            }
            6 if self.orphaned && self.current_spec.is_none() => Ok(()),
            6 => {
                let nv = self.name_version(base, 6, "a dependency line `      name (requirements)`")?;
                let Some(current) = self.current_spec else {
                    return Err(self.error("a spec line before its dependency lines"));
                };
                let reqs = nv.version.map(|v| self.join_version(v, nv.platform));
                self.check_requirements(reqs)?;
                // Dependency lines directly follow their spec, so each spec's
                // dependencies form one contiguous run of `spec_deps`.
                self.lock.spec_deps.push(Dep { name: nv.name, requirements: reqs });
                self.lock.specs[current].deps_end = self.lock.spec_deps.len() as u32;
                Ok(())
            }
            _ => Err(self.error("a spec indented by 4 spaces or a dependency indented by 6")),
        }
    }

    fn parse_checksum(&mut self, base: usize) -> Result<(), LockfileError> {
        let line = self.line;
        const EXPECTED: &str = "a checksum line `  name (version) sha256=…`";
        // Split off the checksum: whatever follows the last `) `.
        let (head, value) = match line.rfind(") ") {
            Some(i) if !line[i + 2..].contains(' ') && !line[i + 2..].is_empty() => {
                (&line[..i + 1], Some(self.span(base, &line[i + 2..])))
            }
            _ => (line, None),
        };
        let saved = self.line;
        self.line = head;
        let nv = self.name_version(base, 2, EXPECTED);
        self.line = saved;
        let nv = nv?;
        let version = match nv.version {
            Some(v) if !v.is_empty() && version::is_correct(self.slice(v)) => v,
            _ => return Err(self.error(EXPECTED)),
        };
        let platform = nv.platform.filter(|p| self.slice(*p) != "ruby");
        self.lock.checksums.push(Checksum { name: nv.name, version, platform, value });
        Ok(())
    }

    /// Bundler's NAME_VERSION grammar: exactly `indent` spaces, a name, then
    /// optionally ` (version[-platform])`, then optionally `!`.
    fn name_version(&self, base: usize, indent: usize, expected: &'static str) -> Result<NameVersion, LockfileError> {
        let line = self.line;
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if spaces != indent {
            return Err(self.error(expected));
        }
        let mut rest = &line[indent..];
        let mut pinned = false;
        if let Some(r) = rest.strip_suffix('!') {
            rest = r;
            pinned = true;
        }
        // One pass: the name runs to the first " (" (Bundler's lazy match);
        // it may hold no space or parenthesis.
        let bytes = rest.as_bytes();
        let mut open = None;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b' ' if bytes.get(i + 1) == Some(&b'(') => {
                    open = Some(i);
                    break;
                }
                b' ' | b'(' | b')' => return Err(self.error(expected)),
                _ => {}
            }
        }
        let (name, inner) = match open {
            Some(open) if bytes[bytes.len() - 1] == b')' => (&rest[..open], &rest[open + 2..rest.len() - 1]),
            Some(_) => return Err(self.error(expected)),
            None => (rest, ""),
        };
        if name.is_empty() {
            return Err(self.error(expected));
        }
        let (version, platform) = if open.is_none() {
            (None, None)
        } else {
            if inner.bytes().any(|b| b == b'(' || b == b')') {
                return Err(self.error(expected));
            }
            match inner.find('-') {
                Some(dash) => {
                    let p = inner[dash + 1..].trim();
                    if p.is_empty() || p.contains(' ') {
                        return Err(self.error(expected));
                    }
                    (Some(inner[..dash].trim()), Some(p))
                }
                None => (Some(inner.trim()), None),
            }
        };
        Ok(NameVersion {
            name: self.span(base, name),
            version: version.map(|v| self.span(base, v)),
            platform: platform.map(|p| self.span(base, p)),
            pinned,
        })
    }
}

/// `[A-Za-z0-9._-]+`: RubyGems' gem names, and every platform it knows.
fn is_gem_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Ruby's `\s`: space, \t, \n, \v, \f, \r.
fn is_ruby_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn memchr_newline(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..].iter().position(|&b| b == b'\n').map(|i| i + from)
}
