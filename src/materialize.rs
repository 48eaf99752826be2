//! Bundler's `LazySpecification#__materialize__` for a setup: each chosen
//! locked spec becomes the installed gem (or the path / git directory) it
//! will be activated from.

use std::path::{Path, PathBuf};

use crate::gem_dirs::{GemIndex, InstalledSpec};
use crate::lockfile::{LockedSpec, Lockfile, Source as LockfileSource, SourceKind};
use crate::paths::expand_path;
use crate::plan::{git_checkout_name, PlannedSpec};
use crate::plan_error::PlanError;
use crate::platform::{self, Platform, Rules};
use crate::request::Request;

/// Per path gem (full name): its locked dependencies (name, requirements).
pub type PathDependencies = Vec<(String, Vec<(String, Vec<String>)>)>;

pub struct Materialized {
    /// One per chosen spec, in the same order.
    pub specs: Vec<PlannedSpec>,
    /// For each path gem (by full name), its locked dependencies (name,
    /// requirements): frozen Bundler refuses a path gem whose gemspec no
    /// longer says the same, which only Ruby can evaluate.
    pub path_dependencies: PathDependencies,
}

/// `chosen` indexes `lock.specs`. A broken install, a missing checkout or
/// path stops at the first such gem; gems simply not installed are all
/// named together afterwards, as Bundler names them.
pub fn materialize(
    req: &Request,
    lock: &Lockfile,
    chosen: &[usize],
    index: &GemIndex,
    bundle_path: &Path,
    local: &Platform,
    by_full_name: bool,
) -> Result<Materialized, PlanError> {
    let mut specs: Vec<PlannedSpec> = Vec::with_capacity(chosen.len());
    let mut not_installed: Vec<String> = Vec::new();
    let mut path_dependencies = Vec::new();
    for &i in chosen {
        let ls = &lock.specs[i];
        let source = &lock.sources[ls.source as usize];
        match source.kind {
            SourceKind::Gem | SourceKind::Plugin => {
                match installed_variant(lock, ls, index, local, by_full_name, req.platform_rules()) {
                    Some(s) => specs.push(installed_spec(s, source.kind)?),
                    None => not_installed.push(lock.full_name(ls)),
                }
            }
            SourceKind::Git | SourceKind::Path => {
                let spec = source_spec(req, lock, ls, source, bundle_path)?;
                if source.kind == SourceKind::Path {
                    let deps = lock
                        .deps_of(ls)
                        .iter()
                        .map(|d| (lock.str(d.name).to_string(), lock.requirements(d).map(str::to_string).collect()))
                        .collect();
                    path_dependencies.push((spec.full_name.clone(), deps));
                }
                specs.push(spec);
            }
        }
    }
    if !not_installed.is_empty() {
        return Err(PlanError::GemNotFound(not_installed));
    }
    Ok(Materialized { specs, path_dependencies })
}

/// The installed spec a locked rubygems spec materializes to: by exact full
/// name when the lockfile's platforms say so, else the best installed
/// variant of the locked version. Only gems whose extensions are built.
fn installed_variant<'a>(
    lock: &Lockfile,
    ls: &LockedSpec,
    index: &'a GemIndex,
    local: &Platform,
    by_full_name: bool,
    rules: Rules,
) -> Option<&'a InstalledSpec> {
    let (name, version) = (lock.str(ls.name), lock.str(ls.version));
    let locked_platform = Platform::parse(lock.platform_str(ls.platform), rules).to_string();
    if by_full_name {
        let full = crate::lockfile::full_name(name, version, Some(&locked_platform));
        return index.find(&full).filter(|s| s.extensions_built || s.default_gem);
    }
    let installed: Vec<&InstalledSpec> = index.named(name).filter(|s| s.extensions_built || s.default_gem).collect();
    let pairs: Vec<(&str, &str)> = installed.iter().map(|s| (s.version.as_str(), s.platform.as_str())).collect();
    platform::select_installed_variant(&pairs, version, &locked_platform, local, rules).map(|k| installed[k])
}

/// A spec whose gem dir is missing still counts, as for RubyGems and
/// Bundler: Debian's rubygems-integration dirs hold specs only (e.g.
/// sqlite3, whose files live in vendor_ruby). Only a gem dir deleted under
/// a stub-headed spec stops the setup (see [`deleted_gem`]).
fn installed_spec(s: &InstalledSpec, kind: SourceKind) -> Result<PlannedSpec, PlanError> {
    if s.has_stub && deleted_gem(s) {
        return Err(PlanError::BrokenInstall {
            full_name: s.full_name.clone(),
            reason: format!(
                "its directory {} has been deleted, but its spec {} is still installed",
                s.full_gem_path, s.spec_file
            ),
        });
    }
    Ok(PlannedSpec {
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
        source: kind,
        default_gem: s.default_gem,
    })
}

/// Debian's Bundler (`Gem::Specification#deleted_gem?`, what `bundle install`
/// and `bundle info` use): the gem dir is gone, unless it is a default gem or
/// one packaged by Debian, whose files live in vendor_ruby while its spec
/// points into `/rubygems-integration/`. Bundler's runtime does not ask and
/// puts the missing directory on the load path; fastbundle stops instead.
fn deleted_gem(spec: &InstalledSpec) -> bool {
    !spec.default_gem && !spec.full_gem_path_exists && !spec.full_gem_path.contains("/rubygems-integration/")
}

/// A git or path gem: its directory (the checkout under the bundle path, or
/// the path resolved from the root), whose gemspec Ruby evaluates.
fn source_spec(
    req: &Request,
    lock: &Lockfile,
    ls: &LockedSpec,
    source: &LockfileSource,
    bundle_path: &Path,
) -> Result<PlannedSpec, PlanError> {
    let name = lock.str(ls.name);
    let option =
        |key: &str| source.options.iter().find(|(k, _)| lock.str(*k) == key).map(|(_, v)| lock.str(*v).to_string());
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
        let home = req.settings_env.user_home.as_deref();
        let dir = PathBuf::from(expand_path(remote, Path::new(&req.root), home));
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
    Ok(PlannedSpec {
        name: name.to_string(),
        version: lock.str(ls.version).to_string(),
        platform: lock.platform_str(ls.platform).to_string(),
        full_name: lock.full_name(ls),
        full_gem_path: dir.clone(),
        loaded_from: None,
        load_paths: Vec::new(),
        gemspec_dir: Some(dir),
        gemspec_glob: option("glob"),
        source: source.kind,
        default_gem: false,
    })
}
