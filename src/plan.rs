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

use crate::frozen;
use crate::gem_dirs::{self, DefaultSpecs, GemIndex, ScanErrorKind, ScanRequest};
use crate::lockfile::{Lockfile, SourceKind};
use crate::materialize::{self, Materialized};
use crate::paths::expand_path;
use crate::platform::{self, Platform};
use crate::settings::Settings;
use crate::spec_set;

pub use crate::plan_error::PlanError;
pub use crate::request::{GemfileDependency, Request};

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
    pub path_dependencies: materialize::PathDependencies,
}

impl Plan {
    /// `Runtime#setup`: each spec's paths, the spec list reversed.
    pub fn load_paths(&self) -> Vec<&str> {
        self.specs.iter().rev().flat_map(|s| s.load_paths.iter().map(String::as_str)).collect()
    }
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
    let settings = Settings::load(Path::new(&req.root), &req.settings_env);
    let rules = req.platform_rules();
    let local = Platform::parse(&req.platform, rules);
    let force_ruby = settings.bool("force_ruby_platform");
    check_lockfile(req, lock, &local, force_ruby)?;

    let groups = requested_groups(req, &settings);
    let chosen = spec_set::resolve(req, lock, &groups, &local, force_ruby).map_err(|missing| {
        PlanError::LockfileIncomplete { lockfile: req.lockfile.clone(), platform: local.to_string(), missing }
    })?;

    let dirs = install_dirs(req, &settings);
    let (index, bundler) = installed_specs(req, lock, &chosen, &dirs, prefetched);
    check_readable(&index)?;
    let platforms: Vec<&str> = lock.platforms.iter().map(|&p| lock.str(p)).collect();
    let by_full_name = platform::materializes_by_full_name(&platforms, &local, force_ruby, rules);
    let Materialized { mut specs, path_dependencies } =
        materialize::materialize(req, lock, &chosen, &index, &dirs.bundle_path, &local, by_full_name)?;
    spec_set::sort_specs(&mut specs, lock, &chosen)
        .map_err(|cycle| PlanError::CyclicDependency { lockfile: req.lockfile.clone(), cycle })?;

    let pathname_locked = chosen.iter().any(|&i| lock.str(lock.specs[i].name) == PREACTIVATED);
    let preactivated = if pathname_locked {
        Vec::new()
    } else {
        index.named(PREACTIVATED).filter(|s| s.default_gem).take(1).map(default_gem_spec).collect()
    };
    Ok(Plan {
        specs,
        groups,
        bundle_path: dirs.bundle_path.to_string_lossy().into_owned(),
        use_system_gems: dirs.use_system_gems,
        frozen: settings.bool("frozen") || settings.bool("deployment"),
        gem_dirs: dirs.gem_dirs,
        bundler,
        preactivated,
        path_dependencies,
    })
}

/// Bundler's order: `validate_platforms!`, then the frozen check (the
/// Gemfile must still match the lockfile: fastbundle never re-resolves).
fn check_lockfile(req: &Request, lock: &Lockfile, local: &Platform, force_ruby: bool) -> Result<(), PlanError> {
    let platforms: Vec<&str> = lock.platforms.iter().map(|&p| lock.str(p)).collect();
    let rules = req.platform_rules();
    if !platform::lockfile_supports(&platforms, local, force_ruby, rules) {
        let mut message = platform::unsupported_platform_message(&platforms, local, force_ruby, rules);
        if platforms.is_empty() {
            // Most often a lockfile read while `bundle install` rewrites it.
            message.push_str(&format!(
                "\n{} lists no platforms at all: it is empty, or was cut short while being written.",
                crate::plan_error::file_name(&req.lockfile)
            ));
        }
        return Err(PlanError::PlatformUnsupported(message));
    }
    frozen::check(&req.dependencies, &req.sources, lock, Path::new(&req.root)).map_err(|mismatch| {
        PlanError::GemfileChanged { gemfile: req.gemfile.clone(), lockfile: req.lockfile.clone(), mismatch }
    })
}

/// The installed specs that may hold the chosen gems, and the Bundler a
/// child `bundle` would run: from the prefetch thread when it read the same
/// dirs, else scanned now (only spec files named like a chosen gem).
fn installed_specs(
    req: &Request,
    lock: &Lockfile,
    chosen: &[usize],
    dirs: &InstallDirs,
    prefetched: Option<Prefetched>,
) -> (GemIndex, Option<(String, String)>) {
    if let Some(p) = prefetched.filter(|p| p.matches(req, &dirs.gem_dirs)) {
        return (p.index, p.bundler);
    }
    let mut names: HashSet<&str> = chosen.iter().map(|&i| lock.str(lock.specs[i].name)).collect();
    names.extend(EXTRA_NAMES);
    let index = scan_installed(req, &dirs.gem_dirs, &names);
    let bundler = newest_bundler(req, &index, dirs.use_system_gems);
    (index, bundler)
}

/// A spec file of a locked gem that cannot be read stops the setup.
/// (RubyGems reads every spec file of every gem dir, so under Bundler an
/// unreadable one stops the boot whichever gem it belongs to; fastbundle
/// reads only the spec files that can hold a locked gem.)
fn check_readable(index: &GemIndex) -> Result<(), PlanError> {
    let Some(e) = index.errors.iter().find(|e| {
        matches!(
            e.kind,
            ScanErrorKind::UnreadableSpec(_)
                | ScanErrorKind::InvalidUtf8
                | ScanErrorKind::BrokenStub
                | ScanErrorKind::Refused(_)
        )
    }) else {
        return Ok(());
    };
    if let ScanErrorKind::Refused(why) = &e.kind {
        return Err(PlanError::RefusedSpec { path: e.path.clone(), reason: why.clone() });
    }
    let reason = match &e.kind {
        ScanErrorKind::UnreadableSpec(why) => why.split(" (os error").next().unwrap_or(why).to_string(),
        ScanErrorKind::InvalidUtf8 => "its stub header is not valid UTF-8".to_string(),
        _ => "its stub line is empty".to_string(),
    };
    Err(PlanError::UnreadableSpec { path: e.path.clone(), reason })
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
        rules: req.platform_rules(),
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
    let paths: Vec<&str> = index
        .specs
        .iter()
        .filter(|s| !s.default_gem)
        .flat_map(|s| s.require_paths.iter().map(String::as_str))
        .collect();
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
            rules: req.platform_rules(),
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

#[cfg(test)]
mod tests {
    use super::git_checkout_name;

    #[test]
    fn git_checkout_names() {
        let rev = "0123456789abcdef0123";
        assert_eq!(git_checkout_name("https://github.com/rails/rails.git", rev), "rails-0123456789ab");
        assert_eq!(git_checkout_name("git@github.com:rails/rails.git", rev), "rails-0123456789ab");
        assert_eq!(git_checkout_name("/tmp/repos/gitgem", rev), "gitgem-0123456789ab");
    }
}
