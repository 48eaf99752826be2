//! The setup plan: given what the Gemfile says, the lockfile, the settings
//! and the installed gems, which specs does `Bundler.setup(*groups)`
//! activate and in what order do their paths go on `$LOAD_PATH`?
//!
//! Plain data in, plain data out, so the plan can be cached. Follows Bundler
//! 2.3.15 in frozen mode: `Definition#requested_groups`, `SpecSet#for` (the
//! closure through locked dependencies, variants chosen per platform),
//! `LazySpecification#__materialize__`, `SpecSet#sorted` and
//! `Runtime#setup`'s reversed load path. Gems whose gemspec only Ruby can
//! evaluate (path and git sources) come back with `gemspec_dir` set and their
//! load paths empty, for the Ruby side to fill in.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::frozen::{self, GemfileSource, Mismatch};
use crate::gem_dirs::{self, DefaultSpecs, GemIndex, InstalledSpec, ScanErrorKind, ScanRequest};
use crate::lockfile::{Lockfile, LockfileError, SourceKind};
use crate::platform::{self, Platform};
use crate::redact::redact;
use crate::settings::{Settings, SettingsEnv};

/// One `gem` line (or `gemspec` dependency) of the Gemfile.
#[derive(Clone, Debug, Default)]
pub struct GemfileDependency {
    pub name: String,
    /// `Gem::Requirement#as_list`, e.g. `[">= 0"]`.
    pub requirements: Vec<String>,
    pub groups: Vec<String>,
    /// `Dependency#should_include?`: platform, install_if and env conditions.
    pub should_include: bool,
    /// The gem has an explicit source (git, path, `source:`), which the
    /// lockfile marks with `!`. (The frozen check compares `source` itself.)
    pub pinned: bool,
    pub force_ruby_platform: bool,
    /// Index into [`Request::sources`] of the gem's own source (`git:`,
    /// `path:`, a `source` block...), `None` for the default one.
    pub source: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct Request {
    pub root: String,
    pub gemfile: String,
    pub lockfile: String,
    pub dependencies: Vec<GemfileDependency>,
    /// Every source the Gemfile declares, the global rubygems one included.
    pub sources: Vec<GemfileSource>,
    pub optional_groups: Vec<String>,
    /// `setup(:a, :b)`: exactly these groups; `None`: Bundler's default.
    pub groups: Option<Vec<String>>,
    pub settings_env: SettingsEnv,
    /// `Gem.path` and `Gem.dir` as this Ruby sees them.
    pub gem_path: Vec<String>,
    pub gem_dir: String,
    pub default_specifications_dir: Option<String>,
    pub default_dir: String,
    /// `Gem::Platform.local.to_s`, `RUBY_ENGINE/RbConfig ruby_version`,
    /// `Gem.extension_api_version`.
    pub platform: String,
    pub ruby_scope: String,
    pub extension_api_version: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedSpec {
    pub name: String,
    pub version: String,
    /// As installed (`Gem::Platform#to_s`).
    pub platform: String,
    pub full_name: String,
    pub full_gem_path: String,
    /// The installed `.gemspec`, when there is one.
    pub loaded_from: Option<String>,
    /// `full_require_paths`, in order.
    pub load_paths: Vec<String>,
    /// Path and git gems: the directory whose gemspec Ruby must evaluate
    /// (`glob` relative to it) to learn the load paths.
    pub gemspec_dir: Option<String>,
    pub gemspec_glob: Option<String>,
    pub source: SourceKind,
    pub default_gem: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// `Gem.loaded_specs` content, in Bundler's sorted (dependencies first)
    /// order.
    pub specs: Vec<PlannedSpec>,
    /// The groups the plan was made for.
    pub groups: Vec<String>,
    pub bundle_path: String,
    pub use_system_gems: bool,
    pub frozen: bool,
    /// Every gem dir that was scanned, for cache invalidation.
    pub gem_dirs: Vec<String>,
    /// The newest installed Bundler in the original `Gem.path` (plus default
    /// gems), `(version, full_gem_path)`: what a `bundle` child would run,
    /// for BUNDLE_BIN_PATH and BUNDLER_VERSION.
    pub bundler: Option<(String, String)>,
    /// Default gems that Bundler's own code activates before setup (it
    /// requires `pathname`), so `Gem.loaded_specs` holds them under Bundler;
    /// not loaded, only marked, unless the bundle has its own version.
    pub preactivated: Vec<PlannedSpec>,
    /// For each planned path gem (by full name), its locked dependencies
    /// (name, requirements): frozen Bundler refuses a path gem whose gemspec
    /// no longer says the same, which only Ruby can evaluate.
    pub path_dependencies: Vec<(String, Vec<(String, Vec<String>)>)>,
}

impl Plan {
    /// `Runtime#setup`: each spec's paths, the spec list reversed.
    pub fn load_paths(&self) -> Vec<&str> {
        self.specs.iter().rev().flat_map(|s| s.load_paths.iter().map(String::as_str)).collect()
    }
}

/// What went wrong, with the status code Bundler exits with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    LockfileMissing { gemfile: String, lockfile: String },
    Lockfile { path: String, error: LockfileError },
    LockfileUnreadable { path: String, reason: String },
    /// The Gemfile no longer matches the lockfile (frozen Bundler's verdict).
    GemfileChanged { gemfile: String, lockfile: String, mismatch: Mismatch },
    PlatformUnsupported(String),
    /// A gem the requested groups need has no locked spec for this platform
    /// (`@locked_specs_incomplete_for_platform`).
    LockfileIncomplete { lockfile: String, platform: String, missing: Vec<String> },
    GemNotFound(Vec<String>),
    GitNotCheckedOut { name: String, uri: String, dir: String },
    /// A path gem's directory is gone (Bundler's PathError).
    PathMissing { name: String, path: String, is_file: bool },
    BrokenInstall { full_name: String, reason: String },
    /// A spec file in the gem dirs that RubyGems cannot read: it raises on
    /// every lookup, and Bundler exits 1 with an error report.
    UnreadableSpec { path: String, reason: String },
    /// Locked gems that depend on each other (Bundler's
    /// CyclicDependencyError): the cycle, its first gem repeated at the end.
    CyclicDependency { lockfile: String, cycle: Vec<String> },
    /// A spec file of a locked gem whose stub header would put a path
    /// outside its gem directory on the load path (gem_dirs::refusal).
    RefusedSpec { path: String, reason: String },
    /// Any of the above, after lines of the lockfile had to be passed over.
    AfterSkippedLines { error: Box<PlanError>, lockfile: String, skipped: Vec<LockfileError> },
}

impl PlanError {
    /// The Ruby error class and Bundler's status code.
    pub fn class_name(&self) -> &'static str {
        match self {
            // Frozen Bundler's answer to a missing lockfile (16): fastbundle
            // never resolves, so it cannot write one either.
            PlanError::LockfileMissing { .. } => "ProductionError",
            PlanError::Lockfile { .. } | PlanError::LockfileUnreadable { .. } => "LockfileError",
            PlanError::GemfileChanged { .. } => "ProductionError",
            PlanError::PlatformUnsupported(_) => "ProductionError",
            PlanError::LockfileIncomplete { .. } => "ProductionError",
            PlanError::GemNotFound(_) => "GemNotFound",
            PlanError::GitNotCheckedOut { .. } => "GitError",
            PlanError::PathMissing { .. } => "PathError",
            PlanError::BrokenInstall { .. } => "GemNotFound",
            PlanError::UnreadableSpec { .. } | PlanError::RefusedSpec { .. } => "UnreadableGemspec",
            PlanError::CyclicDependency { .. } => "CyclicDependencyError",
            PlanError::AfterSkippedLines { error, .. } => error.class_name(),
        }
    }

    pub fn message(&self) -> String {
        match self {
            PlanError::LockfileMissing { gemfile, lockfile } => format!(
                "{gemfile} has no lockfile ({lockfile} does not exist).\n\
                 fastbundle never resolves: run `bundle install` (or `bundle lock`) to write it."
            ),
            PlanError::Lockfile { path, error } => error.message(path),
            PlanError::LockfileUnreadable { path, reason } => {
                format!("Could not read the lockfile {path}: {reason}")
            }
            PlanError::GemfileChanged { gemfile, lockfile, mismatch } => {
                mismatch.message(file_name(gemfile), file_name(lockfile))
            }
            PlanError::PlatformUnsupported(msg) => msg.clone(),
            PlanError::LockfileIncomplete { lockfile, platform, missing } => format!(
                "{} does not have all the gems needed on this platform ({platform}): {}.\n\
                 fastbundle never re-resolves: run `bundle install` to complete it.",
                file_name(lockfile),
                missing.join(", ")
            ),
            PlanError::GemNotFound(missing) => {
                let mut msg = String::from("Could not find ");
                msg.push_str(&missing.join(", "));
                msg.push_str(" in locally installed gems.\nRun `bundle install` to install missing gems.");
                msg
            }
            PlanError::GitNotCheckedOut { name, uri, dir } => format!(
                "The git source {} is not yet checked out (gem {name}, expected in {dir}).\n\
                 Please run `bundle install` before trying to start your application.",
                redact(uri)
            ),
            PlanError::PathMissing { name, path, is_file } => format!(
                "The path `{path}` of the gem {name} {}.\n\
                 Restore it, or change the gem's `path:` in the Gemfile and run `bundle install`.",
                if *is_file { "is not a directory" } else { "does not exist" }
            ),
            PlanError::BrokenInstall { full_name, reason } => {
                format!("The installed gem {full_name} is broken: {reason}.\nRun `bundle install` to reinstall it.")
            }
            PlanError::AfterSkippedLines { error, lockfile, skipped } => {
                let mut msg = error.message();
                msg.push_str(&format!("\n\n{} has lines that neither Bundler nor fastbundle can read:\n", file_name(lockfile)));
                for e in skipped {
                    msg.push_str(&format!("* {}\n", e.brief(lockfile)));
                }
                msg.push_str("Restore it from version control, or fix those lines and run `bundle install`.");
                msg
            }
            PlanError::CyclicDependency { lockfile, cycle } => format!(
                "Your bundle requires gems that depend on each other, creating an infinite loop: {} ({}).\n\
                 Please remove either gem '{}' or gem '{}' and try again.",
                cycle.join(" -> "),
                file_name(lockfile),
                cycle[cycle.len().saturating_sub(2)],
                cycle[0]
            ),
            PlanError::RefusedSpec { path, reason } => format!(
                "The installed gemspec {path} {reason}.\n\
                 RubyGems never installs such a gem, and fastbundle puts nothing of it on the load path. \
                 Remove that file, or reinstall the gem (`bundle install`)."
            ),
            PlanError::UnreadableSpec { path, reason } => format!(
                "RubyGems cannot read the installed gemspec {path}: {reason}.\n\
                 Bundler and RubyGems stop on it too. Remove or repair that file (reinstalling its gem rewrites it)."
            ),
        }
    }
}

/// Debian's Bundler (`Gem::Specification#deleted_gem?`, what `bundle install`
/// and `bundle info` use): the gem dir is gone, unless it is a default gem or
/// one packaged by Debian, whose files live in vendor_ruby while its spec
/// points into `/rubygems-integration/`. Bundler's runtime does not ask and
/// puts the missing directory on the load path; fastbundle stops instead.
fn deleted_gem(spec: &InstalledSpec) -> bool {
    !spec.default_gem && !spec.full_gem_path_exists && !spec.full_gem_path.contains("/rubygems-integration/")
}

/// The last component of a path, as the user knows the file.
fn file_name(path: &str) -> &str {
    Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path)
}

/// Bundler's git checkout directory name: the repository's base name and the
/// first 12 characters of the revision.
pub fn git_checkout_name(uri: &str, revision: &str) -> String {
    // Bundler: uri.sub(%r{^(\w+://)?([^/:]+:)?(//\w*/)?(\w*/)*}, "") minus ".git"
    let mut rest = uri;
    if let Some(i) = rest.find("://") {
        if rest[..i].chars().all(|c| c.is_alphanumeric() || c == '_') {
            rest = &rest[i + 3..];
        }
    }
    let base = rest.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or(rest);
    let base = base.strip_suffix(".git").unwrap_or(base);
    let short: String = revision.chars().take(12).collect();
    format!("{base}-{short}")
}

/// `Definition#requested_groups` (with upstream's `only`), or the explicit
/// groups of `setup(*groups)`.
fn requested_groups(req: &Request, settings: &Settings) -> Vec<String> {
    if let Some(groups) = &req.groups {
        return groups.clone();
    }
    let mut groups: Vec<String> = Vec::new();
    for dep in &req.dependencies {
        for g in &dep.groups {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
    }
    let without = settings.array("without");
    groups.retain(|g| !without.contains(g) && !req.optional_groups.contains(g));
    for g in settings.array("with") {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let only = settings.array("only");
    if !only.is_empty() {
        groups.retain(|g| only.contains(g));
    }
    groups
}

pub fn plan(req: &Request) -> Result<Plan, PlanError> {
    plan_with(req, None)
}

/// [`plan`], reusing what [`prefetch`] gathered when it still applies.
pub fn plan_with(req: &Request, prefetched: Option<Prefetched>) -> Result<Plan, PlanError> {
    let bytes = match crate::input_file::read_regular(Path::new(&req.lockfile), crate::input_file::MAX_LOCKFILE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PlanError::LockfileMissing { gemfile: req.gemfile.clone(), lockfile: req.lockfile.clone() })
        }
        Err(e) => return Err(PlanError::LockfileUnreadable { path: req.lockfile.clone(), reason: e.to_string() }),
    };
    // Lines Bundler passes over are passed over here too (so what follows
    // gets Bundler's status), and named if the plan then fails.
    let (lock, skipped) = Lockfile::parse_bytes_lenient(&bytes)
        .map_err(|error| PlanError::Lockfile { path: req.lockfile.clone(), error })?;
    // The prefetch read the lockfile earlier; if it has been replaced since,
    // what it gathered is for other gems.
    let prefetched = prefetched.filter(|p| p.lockfile == bytes);
    plan_locked(req, &lock, prefetched).map_err(|error| {
        if skipped.is_empty() {
            error
        } else {
            PlanError::AfterSkippedLines { error: Box::new(error), lockfile: req.lockfile.clone(), skipped }
        }
    })
}

fn plan_locked(req: &Request, lock: &Lockfile, prefetched: Option<Prefetched>) -> Result<Plan, PlanError> {
    let root = Path::new(&req.root);
    let settings = Settings::load(root, &req.settings_env);
    let frozen = settings.bool("frozen") || settings.bool("deployment");
    let force_ruby = settings.bool("force_ruby_platform");

    // Bundler's order: validate_platforms!, then the frozen check.
    let local = Platform::parse(&req.platform);
    let platforms: Vec<&str> = lock.platforms.iter().map(|&p| lock.str(p)).collect();
    if !platform::lockfile_supports(&platforms, &local, force_ruby) {
        let mut message = platform::unsupported_platform_message(&platforms, &local, force_ruby);
        if platforms.is_empty() {
            // Most often a lockfile read while `bundle install` rewrites it.
            message.push_str(&format!(
                "\n{} lists no platforms at all: it is empty, or was cut short while being written.",
                file_name(&req.lockfile)
            ));
        }
        return Err(PlanError::PlatformUnsupported(message));
    }
    frozen::check(&req.dependencies, &req.sources, lock, root).map_err(|mismatch| PlanError::GemfileChanged {
        gemfile: req.gemfile.clone(),
        lockfile: req.lockfile.clone(),
        mismatch,
    })?;

    let groups = requested_groups(req, &settings);
    let roots: Vec<&GemfileDependency> = req
        .dependencies
        .iter()
        .filter(|d| d.should_include && d.groups.iter().any(|g| groups.contains(g)))
        .collect();

    // SpecSet#for: breadth-first through locked dependencies.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in lock.specs.iter().enumerate() {
        by_name.entry(lock.str(s.name)).or_default().push(i);
    }
    let dep_force: HashMap<&str, bool> = req.dependencies.iter().map(|d| (d.name.as_str(), d.force_ruby_platform)).collect();
    // (name, the locked spec that needs it)
    let mut queue: std::collections::VecDeque<(&str, Option<&str>)> =
        roots.iter().map(|d| (d.name.as_str(), None)).collect();
    let mut handled: HashSet<&str> = HashSet::new();
    let mut chosen: Vec<usize> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let needed_by = |name: &str, parent: Option<&str>| match parent {
        Some(p) => format!("{name} (needed by {p})"),
        None => name.to_string(),
    };
    while let Some((name, parent)) = queue.pop_front() {
        if name == "bundler" || !handled.insert(name) {
            continue;
        }
        let Some(idx) = by_name.get(name) else {
            missing.push(needed_by(name, parent));
            continue;
        };
        let cands: Vec<(&str, &str)> =
            idx.iter().map(|&i| (lock.str(lock.specs[i].version), lock.platform_str(lock.specs[i].platform))).collect();
        let force = force_ruby || dep_force.get(name).copied().unwrap_or(false);
        let same_deps = |a: usize, b: usize| {
            let da: Vec<&str> = lock.deps_of(&lock.specs[idx[a]]).iter().map(|d| lock.str(d.name)).collect();
            let db: Vec<&str> = lock.deps_of(&lock.specs[idx[b]]).iter().map(|d| lock.str(d.name)).collect();
            da == db
        };
        let picks = platform::select_best_variants(&cands, &local, force, same_deps);
        if picks.is_empty() {
            missing.push(needed_by(name, parent));
            continue;
        }
        for &p in &picks {
            chosen.push(idx[p]);
        }
        for d in lock.deps_of(&lock.specs[idx[picks[0]]]) {
            queue.push_back((lock.str(d.name), Some(name)));
        }
    }
    if !missing.is_empty() {
        return Err(PlanError::LockfileIncomplete {
            lockfile: req.lockfile.clone(),
            platform: local.to_string(),
            missing,
        });
    }

    let InstallDirs { bundle_path, use_system_gems, gem_dirs } = install_dirs(req, &settings);
    let bundle_path_str = bundle_path.to_string_lossy().into_owned();
    let pathname_locked = chosen.iter().any(|&i| lock.str(lock.specs[i].name) == PREACTIVATED);
    let prefetched = prefetched.filter(|p| p.matches(req, &gem_dirs));
    let (index, bundler) = match prefetched {
        Some(p) => (p.index, p.bundler),
        None => {
            let mut names: HashSet<&str> = chosen.iter().map(|&i| lock.str(lock.specs[i].name)).collect();
            names.extend(EXTRA_NAMES);
            let index = scan_installed(req, &gem_dirs, &names);
            let bundler = newest_bundler(req, &index, use_system_gems);
            (index, bundler)
        }
    };
    // A spec file of a locked gem that cannot be read stops the setup.
    // (RubyGems reads every spec file of every gem dir, so under Bundler an
    // unreadable one stops the boot whichever gem it belongs to; fastbundle
    // reads only the spec files that can hold a locked gem.)
    if let Some(e) = index.errors.iter().find(|e| {
        matches!(
            e.kind,
            ScanErrorKind::UnreadableSpec(_) | ScanErrorKind::InvalidUtf8 | ScanErrorKind::BrokenStub | ScanErrorKind::Refused(_)
        )
    }) {
        if let ScanErrorKind::Refused(why) = &e.kind {
            return Err(PlanError::RefusedSpec { path: e.path.clone(), reason: why.clone() });
        }
        let reason = match &e.kind {
            ScanErrorKind::UnreadableSpec(why) => why.split(" (os error").next().unwrap_or(why).to_string(),
            ScanErrorKind::InvalidUtf8 => "its stub header is not valid UTF-8".to_string(),
            _ => "its stub line is empty".to_string(),
        };
        return Err(PlanError::UnreadableSpec { path: e.path.clone(), reason });
    }

    let by_full_name = platform::materializes_by_full_name(&platforms, &local, force_ruby);
    let mut specs: Vec<PlannedSpec> = Vec::with_capacity(chosen.len());
    let mut not_installed: Vec<String> = Vec::new();
    let mut path_dependencies = Vec::new();
    for &i in &chosen {
        let ls = &lock.specs[i];
        let name = lock.str(ls.name);
        let version = lock.str(ls.version);
        let source = &lock.sources[ls.source as usize];
        match source.kind {
            SourceKind::Gem | SourceKind::Plugin => {
                let locked_platform = Platform::parse(lock.platform_str(ls.platform)).to_string();
                let found = if by_full_name {
                    let full = crate::lockfile::full_name(name, version, Some(&locked_platform));
                    index.find(&full).filter(|s| s.extensions_built || s.default_gem)
                } else {
                    let installed: Vec<&gem_dirs::InstalledSpec> =
                        index.named(name).filter(|s| s.extensions_built || s.default_gem).collect();
                    let pairs: Vec<(&str, &str)> =
                        installed.iter().map(|s| (s.version.as_str(), s.platform.as_str())).collect();
                    platform::select_installed_variant(&pairs, version, &locked_platform, &local).map(|k| installed[k])
                };
                match found {
                    // A spec whose gem dir is missing still counts, as for
                    // RubyGems and Bundler: Debian's rubygems-integration
                    // dirs hold specs only (e.g. sqlite3, whose files live in
                    // vendor_ruby).
                    Some(s) => {
                        if s.has_stub && deleted_gem(s) {
                            return Err(PlanError::BrokenInstall {
                                full_name: s.full_name.clone(),
                                reason: format!(
                                    "its directory {} has been deleted, but its spec {} is still installed",
                                    s.full_gem_path, s.spec_file
                                ),
                            });
                        }
                        specs.push(PlannedSpec {
                            name: s.name.clone(),
                            version: s.version.clone(),
                            platform: s.platform.clone(),
                            full_name: s.full_name.clone(),
                            full_gem_path: s.full_gem_path.clone(),
                            loaded_from: Some(s.spec_file.clone()),
                            // No stub header: Ruby evaluates the installed gemspec.
                            load_paths: if s.has_stub { s.require_paths.clone() } else { Vec::new() },
                            gemspec_dir: None,
                            gemspec_glob: None,
                            source: source.kind,
                            default_gem: s.default_gem,
                        })
                    }
                    None => not_installed.push(lock.full_name(ls)),
                }
            }
            SourceKind::Git | SourceKind::Path => {
                let option = |key: &str| {
                    source.options.iter().find(|(k, _)| lock.str(*k) == key).map(|(_, v)| lock.str(*v).to_string())
                };
                let remote = source.remotes.first().map(|&r| lock.str(r)).unwrap_or("");
                let dir = if source.kind == SourceKind::Git {
                    let revision = option("revision").unwrap_or_default();
                    let checkout = bundle_path.join("bundler/gems").join(git_checkout_name(remote, &revision));
                    if !checkout.is_dir() {
                        return Err(PlanError::GitNotCheckedOut {
                            name: name.to_string(),
                            uri: remote.to_string(),
                            dir: checkout.to_string_lossy().into_owned(),
                        });
                    }
                    checkout
                } else {
                    // Source::Path#expanded_path: "../x" resolved from the root.
                    let dir = PathBuf::from(expand_path(remote, root, req.settings_env.user_home.as_deref()));
                    if !dir.is_dir() {
                        return Err(PlanError::PathMissing {
                            name: name.to_string(),
                            path: dir.to_string_lossy().into_owned(),
                            is_file: dir.exists(),
                        });
                    }
                    dir
                };
                let dir = dir.to_string_lossy().into_owned();
                if source.kind == SourceKind::Path {
                    let deps = lock
                        .deps_of(ls)
                        .iter()
                        .map(|d| (lock.str(d.name).to_string(), lock.requirements(d).map(str::to_string).collect()))
                        .collect();
                    path_dependencies.push((lock.full_name(ls), deps));
                }
                specs.push(PlannedSpec {
                    name: name.to_string(),
                    version: version.to_string(),
                    platform: lock.platform_str(ls.platform).to_string(),
                    full_name: lock.full_name(ls),
                    full_gem_path: dir.clone(),
                    loaded_from: None,
                    load_paths: Vec::new(),
                    gemspec_dir: Some(dir),
                    gemspec_glob: option("glob"),
                    source: source.kind,
                    default_gem: false,
                });
            }
        }
    }
    if !not_installed.is_empty() {
        return Err(PlanError::GemNotFound(not_installed));
    }

    sort_specs(&mut specs, lock, &chosen)
        .map_err(|cycle| PlanError::CyclicDependency { lockfile: req.lockfile.clone(), cycle })?;
    let preactivated = if pathname_locked {
        Vec::new()
    } else {
        index.named(PREACTIVATED).filter(|s| s.default_gem).take(1).map(default_gem_spec).collect()
    };
    Ok(Plan {
        specs,
        groups,
        bundle_path: bundle_path_str,
        use_system_gems,
        frozen,
        gem_dirs,
        bundler,
        preactivated,
        path_dependencies,
    })
}

/// The default gem Bundler's runtime requires (and so activates) itself.
const PREACTIVATED: &str = "pathname";
/// Read with the bundle: Bundler's own stub and its preactivated gem.
const EXTRA_NAMES: [&str; 2] = ["bundler", PREACTIVATED];

/// Where installed gems live: Bundler's `Settings#path` and `Bundler.bundle_path`.
struct InstallDirs {
    bundle_path: PathBuf,
    use_system_gems: bool,
    /// The dirs whose specs the bundle may use.
    gem_dirs: Vec<String>,
}

fn install_dirs(req: &Request, settings: &Settings) -> InstallDirs {
    let (bundle_path, use_system_gems) = bundle_path(req, settings);
    let gem_dirs = if use_system_gems { req.gem_path.clone() } else { vec![bundle_path.clone()] };
    InstallDirs { bundle_path: PathBuf::from(bundle_path), use_system_gems, gem_dirs }
}

fn scan_installed(req: &Request, gem_dirs: &[String], names: &HashSet<&str>) -> GemIndex {
    let dir_refs: Vec<&str> = gem_dirs.iter().map(String::as_str).collect();
    gem_dirs::scan(&ScanRequest {
        gem_dirs: &dir_refs,
        default_specs: req
            .default_specifications_dir
            .as_deref()
            .map(|d| DefaultSpecs { specifications_dir: d, base_dir: &req.default_dir }),
        platform: &req.platform,
        extension_api_version: &req.extension_api_version,
        only_names: Some(names),
    })
}

/// The file-system half of a plan, gathered while Ruby still evaluates the
/// Gemfile: every locked gem's installed specs, Bundler's stub, and which
/// of their load paths have man pages beside them. It depends only on the
/// environment part of the request (never on the Gemfile), so [`plan_with`]
/// uses it when that part is unchanged — the Gemfile may have changed ENV —
/// and otherwise scans again.
#[derive(Clone, Debug)]
pub struct Prefetched {
    /// The request it was made for (dependencies and groups empty).
    env: Request,
    gem_dirs: Vec<String>,
    index: GemIndex,
    bundler: Option<(String, String)>,
    /// Load path entry -> whether `Runtime#setup_manpath` would add its man dir.
    pub man_dirs: HashMap<String, Option<String>>,
    /// The lockfile as the prefetch read it.
    lockfile: Vec<u8>,
}

impl Prefetched {
    fn matches(&self, req: &Request, gem_dirs: &[String]) -> bool {
        let (a, b) = (&self.env, req);
        self.gem_dirs == gem_dirs
            && a.root == b.root
            && a.lockfile == b.lockfile
            && a.settings_env == b.settings_env
            && a.gem_path == b.gem_path
            && a.gem_dir == b.gem_dir
            && a.default_specifications_dir == b.default_specifications_dir
            && a.default_dir == b.default_dir
            && a.platform == b.platform
            && a.ruby_scope == b.ruby_scope
            && a.extension_api_version == b.extension_api_version
    }
}

/// Gathers [`Prefetched`] for a request whose Gemfile part is not known yet.
/// `None` when there is nothing worth gathering (no readable lockfile): the
/// plan then reports the problem itself.
pub fn prefetch(env: Request) -> Option<Prefetched> {
    let settings = Settings::load(Path::new(&env.root), &env.settings_env);
    let bytes = crate::input_file::read_regular(Path::new(&env.lockfile), crate::input_file::MAX_LOCKFILE).ok()?;
    let (lock, _) = Lockfile::parse_bytes_lenient(&bytes).ok()?;
    let InstallDirs { use_system_gems, gem_dirs, .. } = install_dirs(&env, &settings);
    let mut names: HashSet<&str> = lock.specs.iter().map(|s| lock.str(s.name)).collect();
    names.extend(EXTRA_NAMES);
    let index = scan_installed(&env, &gem_dirs, &names);
    let bundler = newest_bundler(&env, &index, use_system_gems);
    let paths: Vec<&str> =
        index.specs.iter().filter(|s| !s.default_gem).flat_map(|s| s.require_paths.iter().map(String::as_str)).collect();
    let man_dirs = crate::manpath::man_dir_of_each(&paths);
    Some(Prefetched { env, gem_dirs, index, bundler, man_dirs, lockfile: bytes })
}

/// A default gem as `require` activates it: the full spec, whose base dir is
/// three levels above `specifications/default/x.gemspec` (the stub's base is
/// `Gem.default_dir`, which on Debian is elsewhere).
fn default_gem_spec(s: &gem_dirs::InstalledSpec) -> PlannedSpec {
    let base = Path::new(&s.spec_file).ancestors().nth(3).map(|b| b.to_string_lossy().into_owned());
    PlannedSpec {
        name: s.name.clone(),
        version: s.version.clone(),
        platform: s.platform.clone(),
        full_name: s.full_name.clone(),
        full_gem_path: base.map_or_else(|| s.full_gem_path.clone(), |b| format!("{b}/gems/{}", s.full_name)),
        loaded_from: Some(s.spec_file.clone()),
        load_paths: s.require_paths.clone(),
        gemspec_dir: None,
        gemspec_glob: None,
        source: SourceKind::Gem,
        default_gem: true,
    }
}

/// `Gem::Specification.stubs_for("bundler").max_by(&:version)` as seen
/// before setup changes GEM_PATH: the original `Gem.path`, then default
/// gems. Ties keep the first, as `max_by` does.
fn newest_bundler(req: &Request, bundle_index: &GemIndex, use_system_gems: bool) -> Option<(String, String)> {
    let names: HashSet<&str> = ["bundler"].into_iter().collect();
    let own;
    let installed: Vec<&gem_dirs::InstalledSpec> = if use_system_gems {
        bundle_index.named("bundler").collect()
    } else {
        let dirs: Vec<&str> = req.gem_path.iter().map(String::as_str).collect();
        own = gem_dirs::scan(&ScanRequest {
            gem_dirs: &dirs,
            default_specs: None,
            platform: &req.platform,
            extension_api_version: &req.extension_api_version,
            only_names: Some(&names),
        });
        own.named("bundler").chain(bundle_index.named("bundler").filter(|s| s.default_gem)).collect()
    };
    let mut newest: Option<&gem_dirs::InstalledSpec> = None;
    for s in installed {
        if newest.is_none_or(|n| platform::compare_versions(&s.version, &n.version) == std::cmp::Ordering::Greater) {
            newest = Some(s);
        }
    }
    newest.map(|s| (s.version.clone(), s.full_gem_path.clone()))
}

/// `Bundler.bundle_path`: `Settings#path` (`<path>/<ruby scope>`, or the
/// system gem dir `Gem.dir`) expanded from the root as `File.expand_path`
/// expands it; and whether the bundle uses the system gems
/// (`Settings::Path#use_system_gems?`).
pub fn bundle_path(req: &Request, settings: &Settings) -> (String, bool) {
    let setting = settings.path();
    let use_system_gems = setting.use_system_gems();
    let path = match &setting.explicit_path {
        Some(p) if !use_system_gems => format!("{p}/{}", req.ruby_scope),
        Some(p) => p.clone(),
        None => req.gem_dir.clone(),
    };
    (expand_path(&path, Path::new(&req.root), req.settings_env.user_home.as_deref()), use_system_gems)
}

/// Ruby's `File.expand_path(path, base)` on Unix, without touching the file
/// system: `~` and `~/…` start at the home dir, a relative path at BASE
/// (itself absolute), `.` and `..` are resolved lexically (never above
/// `/`), repeated and trailing slashes dropped.
pub fn expand_path(path: &str, base: &Path, home: Option<&Path>) -> String {
    let joined = match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}/{rest}", home.to_string_lossy())
        }
        _ if path.starts_with('/') => path.to_string(),
        _ => format!("{}/{path}", base.to_string_lossy()),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `SpecSet#sorted`: rake first, then a depth-first topological sort over
/// specs in name order, each spec's dependencies visited in name order.
/// Gems that depend on each other (a cycle of two or more; a gem depending
/// on itself is fine, as for Bundler's TSort) are an error naming the
/// cycle, as in Bundler.
fn sort_specs(specs: &mut Vec<PlannedSpec>, lock: &Lockfile, chosen: &[usize]) -> Result<(), Vec<String>> {
    let deps: Vec<Vec<&str>> = chosen
        .iter()
        .map(|&i| {
            let mut d: Vec<&str> = lock.deps_of(&lock.specs[i]).iter().map(|d| lock.str(d.name)).collect();
            d.sort_unstable();
            d
        })
        .collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in specs.iter().enumerate() {
        by_name.entry(s.name.as_str()).or_default().push(i);
    }
    let mut nodes: Vec<usize> = (0..specs.len()).collect();
    nodes.sort_by(|&a, &b| specs[a].name.cmp(&specs[b].name));
    let mut order: Vec<usize> = Vec::with_capacity(specs.len());
    if let Some(&rake) = by_name.get("rake").and_then(|v| v.first()) {
        order.push(rake);
    }
    // Depth-first, each node's dependencies in name order, a node after
    // them; iterative (a frame per node): a recursive walk overflows the
    // stack on a deep chain, a crash that no panic guard catches. A node
    // met again while its walk is open closes a cycle.
    let mut state = vec![0u8; specs.len()]; // 0 new, 1 visiting, 2 done
    let mut stack: Vec<(usize, usize, usize)> = Vec::new(); // (node, dependency, candidate)
    for &root in &nodes {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0, 0));
        while let Some(top) = stack.last_mut() {
            let (n, d, c) = *top;
            let Some(dep) = deps[n].get(d) else {
                state[n] = 2;
                order.push(n);
                stack.pop();
                continue;
            };
            match by_name.get(dep).and_then(|cands| cands.get(c)) {
                Some(&child) => {
                    top.2 += 1;
                    if state[child] == 1 && child != n {
                        let from = stack.iter().position(|&(m, _, _)| m == child).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[from..].iter().map(|&(m, _, _)| specs[m].name.clone()).collect();
                        cycle.push(specs[child].name.clone());
                        return Err(cycle);
                    }
                    if state[child] == 0 {
                        state[child] = 1;
                        stack.push((child, 0, 0));
                    }
                }
                None => {
                    top.1 += 1;
                    top.2 = 0;
                }
            }
        }
    }
    let mut seen = vec![false; specs.len()];
    order.retain(|&i| !std::mem::replace(&mut seen[i], true));
    let mut taken: Vec<Option<PlannedSpec>> = specs.drain(..).map(Some).collect();
    specs.extend(order.into_iter().filter_map(|i| taken[i].take()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{expand_path, git_checkout_name, sort_specs, PlannedSpec};
    use crate::lockfile::{Lockfile, SourceKind};
    use std::path::Path;

    fn planned(lock: &Lockfile) -> (Vec<PlannedSpec>, Vec<usize>) {
        let specs = lock
            .specs
            .iter()
            .map(|s| PlannedSpec {
                name: lock.str(s.name).to_string(),
                version: lock.str(s.version).to_string(),
                platform: "ruby".into(),
                full_name: lock.full_name(s),
                full_gem_path: String::new(),
                loaded_from: None,
                load_paths: Vec::new(),
                gemspec_dir: None,
                gemspec_glob: None,
                source: SourceKind::Gem,
                default_gem: false,
            })
            .collect();
        (specs, (0..lock.specs.len()).collect())
    }

    #[test]
    fn sorts_a_dependency_chain_deeper_than_any_stack() {
        // g000000 -> g000001 -> ... : a recursive sort overflows the stack
        // (a crash no panic guard catches) long before this depth. (Under
        // Miri, a shorter chain: it checks memory, not depth.)
        let depth = if cfg!(miri) { 300 } else { 300_000 };
        let mut text = String::from("GEM\n  specs:\n");
        for i in 0..depth {
            text.push_str(&format!("    g{i:06} (1.0)\n"));
            if i + 1 < depth {
                text.push_str(&format!("      g{:06}\n", i + 1));
            }
        }
        let lock = Lockfile::parse(&text).unwrap();
        let (mut specs, chosen) = planned(&lock);
        sort_specs(&mut specs, &lock, &chosen).unwrap();
        assert_eq!(specs.len(), depth);
        assert_eq!(specs[0].name, format!("g{:06}", depth - 1)); // dependencies first
        assert_eq!(specs[depth - 1].name, "g000000");
    }

    #[test]
    fn a_cycle_is_an_error_naming_it_a_self_dependency_is_not() {
        let text = "GEM\n  specs:\n    a (1.0)\n      b\n    b (1.0)\n      c\n    c (1.0)\n      a\n      c\n    rake (13.0)\n      rake\n";
        let lock = Lockfile::parse(text).unwrap();
        let (mut specs, chosen) = planned(&lock);
        assert_eq!(sort_specs(&mut specs, &lock, &chosen), Err(vec!["a".into(), "b".into(), "c".into(), "a".into()]));

        let text = "GEM\n  specs:\n    a (1.0)\n      b\n    b (1.0)\n      c\n    c (1.0)\n      c\n    rake (13.0)\n      rake\n";
        let lock = Lockfile::parse(text).unwrap();
        let (mut specs, chosen) = planned(&lock);
        sort_specs(&mut specs, &lock, &chosen).unwrap();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        // rake first; then a's depth-first order: c (reached through b) before b before a.
        assert_eq!(names, ["rake", "c", "b", "a"]);
    }

    #[test]
    fn expand_path_is_ruby_file_expand_path() {
        let base = Path::new("/w/app");
        let home = Some(Path::new("/home/u"));
        let x = |p: &str| expand_path(p, base, home);
        assert_eq!(x("vendor/bundle/ruby/3.1.0"), "/w/app/vendor/bundle/ruby/3.1.0");
        assert_eq!(x("../shared//bundle/./ruby/3.1.0"), "/w/shared/bundle/ruby/3.1.0");
        assert_eq!(x("vendor/bundle/"), "/w/app/vendor/bundle");
        assert_eq!(x("/abs/../x"), "/x");
        assert_eq!(x("/../../x"), "/x");
        assert_eq!(x("~/bundle/ruby/3.1.0"), "/home/u/bundle/ruby/3.1.0");
        assert_eq!(x("~"), "/home/u");
        assert_eq!(x("."), "/w/app");
    }

    #[test]
    fn git_checkout_names() {
        let rev = "0123456789abcdef0123";
        assert_eq!(git_checkout_name("https://github.com/rails/rails.git", rev), "rails-0123456789ab");
        assert_eq!(git_checkout_name("git@github.com:rails/rails.git", rev), "rails-0123456789ab");
        assert_eq!(git_checkout_name("/tmp/repos/gitgem", rev), "gitgem-0123456789ab");
    }
}
