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

use crate::gem_dirs::{self, DefaultSpecs, GemIndex, ScanRequest};
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
    /// lockfile marks with `!`.
    pub pinned: bool,
    pub force_ruby_platform: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Request {
    pub root: String,
    pub gemfile: String,
    pub lockfile: String,
    pub dependencies: Vec<GemfileDependency>,
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
    /// The Gemfile no longer matches the lockfile.
    GemfileChanged { added: Vec<String>, deleted: Vec<String>, changed: Vec<String> },
    PlatformUnsupported(String),
    GemNotFound(Vec<String>),
    GitNotCheckedOut { name: String, uri: String, dir: String },
}

impl PlanError {
    /// The Ruby error class and Bundler's status code.
    pub fn class_name(&self) -> &'static str {
        match self {
            PlanError::LockfileMissing { .. } => "GemNotFound",
            PlanError::Lockfile { .. } | PlanError::LockfileUnreadable { .. } => "LockfileError",
            PlanError::GemfileChanged { .. } => "ProductionError",
            PlanError::PlatformUnsupported(_) => "ProductionError",
            PlanError::GemNotFound(_) => "GemNotFound",
            PlanError::GitNotCheckedOut { .. } => "GitError",
        }
    }

    pub fn message(&self) -> String {
        match self {
            PlanError::LockfileMissing { gemfile, lockfile } => format!(
                "Could not find {lockfile}, the lockfile of {gemfile}.\n\
                 fastbundle never resolves: run `bundle install` (or `bundle lock`) to write it."
            ),
            PlanError::Lockfile { path, error } => error.message(path),
            PlanError::LockfileUnreadable { path, reason } => {
                format!("Could not read the lockfile {path}: {reason}")
            }
            PlanError::GemfileChanged { added, deleted, changed } => {
                let mut msg = String::from(
                    "The Gemfile and Gemfile.lock do not match, and fastbundle never re-resolves.\n\
                     Run `bundle install` to update Gemfile.lock, then try again.\n",
                );
                for (title, list) in [("added to", added), ("deleted from", deleted), ("changed in", changed)] {
                    if !list.is_empty() {
                        msg.push_str(&format!("\nYou {title} the Gemfile:\n"));
                        for item in list {
                            msg.push_str(&format!("* {item}\n"));
                        }
                    }
                }
                msg
            }
            PlanError::PlatformUnsupported(msg) => msg.clone(),
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
        }
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

/// Splits `>= 1.0` into (`>=`, `1.0`); a bare version means `=`.
fn split_requirement(req: &str) -> (&str, &str) {
    let req = req.trim();
    for op in [">=", "<=", "~>", "!=", "=", ">", "<"] {
        if let Some(rest) = req.strip_prefix(op) {
            return (op, rest.trim());
        }
    }
    ("=", req)
}

/// `Gem::Requirement#==`: the same requirements once sorted, versions
/// compared as versions (`>= 0.0.0` is `>= 0`), except that `~>` must also
/// keep its precision (`~> 1.0` is not `~> 1`).
fn same_requirements(a: &[String], b: &[String]) -> bool {
    let norm = |list: &[String]| {
        let mut v: Vec<(String, String)> = if list.is_empty() {
            vec![(">=".to_string(), "0".to_string())]
        } else {
            list.iter().map(|r| split_requirement(r)).map(|(o, v)| (o.to_string(), v.to_string())).collect()
        };
        v.sort_by(|x, y| format!("{} {}", x.0, x.1).cmp(&format!("{} {}", y.0, y.1)));
        v
    };
    let (a, b) = (norm(a), norm(b));
    a.len() == b.len()
        && a.iter().zip(&b).all(|((oa, va), (ob, vb))| {
            oa == ob
                && platform::compare_versions(va, vb) == std::cmp::Ordering::Equal
                && (oa != "~>" || va == vb)
        })
}

/// Bundler's frozen check (`ensure_equivalent_gemfile_and_lockfile`): the
/// same dependency names, requirements and pins.
fn check_equivalent(req: &Request, lock: &Lockfile) -> Result<(), PlanError> {
    let mut locked: HashMap<&str, (Vec<String>, bool)> = HashMap::new();
    for d in &lock.dependencies {
        let reqs: Vec<String> = lock.requirements(&d.dep).map(str::to_string).collect();
        locked.insert(lock.str(d.dep.name), (reqs, d.pinned));
    }
    let show = |reqs: &[String]| if reqs.is_empty() { ">= 0".to_string() } else { reqs.join(", ") };
    let (mut added, mut changed) = (Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    for dep in &req.dependencies {
        if !seen.insert(dep.name.as_str()) {
            continue;
        }
        match locked.get(dep.name.as_str()) {
            None => added.push(format!("{} ({})", dep.name, show(&dep.requirements))),
            Some((lreqs, _)) if !same_requirements(lreqs, &dep.requirements) => changed.push(format!(
                "{} from `{}` to `{}`",
                dep.name,
                show(lreqs),
                show(&dep.requirements)
            )),
            Some((_, pinned)) if *pinned != dep.pinned && dep.name != "bundler" => changed.push(format!(
                "{} source from `{}` to `{}`",
                dep.name,
                if *pinned { "an explicit source" } else { "no specified source" },
                if dep.pinned { "an explicit source" } else { "no specified source" }
            )),
            _ => {}
        }
    }
    let deleted: Vec<String> = lock
        .dependencies
        .iter()
        .map(|d| lock.str(d.dep.name))
        .filter(|n| !seen.contains(n) && *n != "bundler")
        .map(str::to_string)
        .collect();
    if added.is_empty() && deleted.is_empty() && changed.is_empty() {
        Ok(())
    } else {
        Err(PlanError::GemfileChanged { added, deleted, changed })
    }
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
    let root = Path::new(&req.root);
    let settings = Settings::load(root, &req.settings_env);
    let frozen = settings.bool("frozen") || settings.bool("deployment");
    let force_ruby = settings.bool("force_ruby_platform");

    let bytes = match std::fs::read(&req.lockfile) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PlanError::LockfileMissing { gemfile: req.gemfile.clone(), lockfile: req.lockfile.clone() })
        }
        Err(e) => return Err(PlanError::LockfileUnreadable { path: req.lockfile.clone(), reason: e.to_string() }),
    };
    let lock = Lockfile::parse_bytes(&bytes).map_err(|error| PlanError::Lockfile { path: req.lockfile.clone(), error })?;
    check_equivalent(req, &lock)?;

    let local = Platform::parse(&req.platform);
    let platforms: Vec<&str> = lock.platforms.iter().map(|&p| lock.str(p)).collect();
    if !platform::lockfile_supports(&platforms, &local, force_ruby) {
        return Err(PlanError::PlatformUnsupported(platform::unsupported_platform_message(&platforms, &local, force_ruby)));
    }

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
    let mut queue: std::collections::VecDeque<&str> = roots.iter().map(|d| d.name.as_str()).collect();
    let mut handled: HashSet<&str> = HashSet::new();
    let mut chosen: Vec<usize> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    while let Some(name) = queue.pop_front() {
        if name == "bundler" || !handled.insert(name) {
            continue;
        }
        let Some(idx) = by_name.get(name) else {
            missing.push(format!("gem '{name}'"));
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
            missing.push(format!("gem '{name}' for platform {local}"));
            continue;
        }
        for &p in &picks {
            chosen.push(idx[p]);
        }
        for d in lock.deps_of(&lock.specs[idx[picks[0]]]) {
            queue.push_back(lock.str(d.name));
        }
    }
    if !missing.is_empty() {
        return Err(PlanError::GemNotFound(missing));
    }

    // Where installed gems live.
    let (bundle_path_str, use_system_gems) = bundle_path(req, &settings);
    let bundle_path = PathBuf::from(&bundle_path_str);
    let gem_dirs: Vec<String> = if use_system_gems { req.gem_path.clone() } else { vec![bundle_path_str.clone()] };
    let dir_refs: Vec<&str> = gem_dirs.iter().map(String::as_str).collect();
    let index: GemIndex = gem_dirs::scan(&ScanRequest {
        gem_dirs: &dir_refs,
        default_specs: req
            .default_specifications_dir
            .as_deref()
            .map(|d| DefaultSpecs { specifications_dir: d, base_dir: &req.default_dir }),
        platform: &req.platform,
        extension_api_version: &req.extension_api_version,
    });

    let by_full_name = platform::materializes_by_full_name(&platforms, &local, force_ruby);
    let mut specs: Vec<PlannedSpec> = Vec::with_capacity(chosen.len());
    let mut not_installed: Vec<String> = Vec::new();
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
                    PathBuf::from(expand_path(remote, root, req.settings_env.user_home.as_deref()))
                };
                let dir = dir.to_string_lossy().into_owned();
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

    sort_specs(&mut specs, &lock, &chosen);
    Ok(Plan { specs, groups, bundle_path: bundle_path_str, use_system_gems, frozen, gem_dirs })
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
fn sort_specs(specs: &mut Vec<PlannedSpec>, lock: &Lockfile, chosen: &[usize]) {
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
    let mut state = vec![0u8; specs.len()]; // 0 new, 1 visiting, 2 done
    fn visit(n: usize, deps: &[Vec<&str>], by_name: &HashMap<&str, Vec<usize>>, state: &mut [u8], order: &mut Vec<usize>) {
        if state[n] != 0 {
            return; // done, or a cycle (Bundler raises; lockfiles never have one)
        }
        state[n] = 1;
        for d in &deps[n] {
            for &c in by_name.get(d).map(Vec::as_slice).unwrap_or(&[]) {
                visit(c, deps, by_name, state, order);
            }
        }
        state[n] = 2;
        order.push(n);
    }
    for &n in &nodes {
        visit(n, &deps, &by_name, &mut state, &mut order);
    }
    let mut seen = vec![false; specs.len()];
    order.retain(|&i| !std::mem::replace(&mut seen[i], true));
    let mut taken: Vec<Option<PlannedSpec>> = specs.drain(..).map(Some).collect();
    specs.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

#[cfg(test)]
mod tests {
    use super::{expand_path, git_checkout_name, same_requirements};
    use std::path::Path;

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
    fn requirements_compare_like_gem_requirement() {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(same_requirements(&v(&[]), &v(&[">= 0.0.0"])));
        assert!(same_requirements(&v(&["< 2", ">= 1.0"]), &v(&[">= 1", "< 2.0"])));
        assert!(same_requirements(&v(&["1.0"]), &v(&["= 1.0"])));
        assert!(!same_requirements(&v(&["~> 1.0"]), &v(&["~> 1"])));
        assert!(!same_requirements(&v(&[">= 1"]), &v(&[">= 1", "< 2"])));
    }

    #[test]
    fn git_checkout_names() {
        let rev = "0123456789abcdef0123";
        assert_eq!(git_checkout_name("https://github.com/rails/rails.git", rev), "rails-0123456789ab");
        assert_eq!(git_checkout_name("git@github.com:rails/rails.git", rev), "rails-0123456789ab");
        assert_eq!(git_checkout_name("/tmp/repos/gitgem", rev), "gitgem-0123456789ab");
    }
}
