//! Bundler's frozen check (`Definition#ensure_equivalent_gemfile_and_lockfile`
//! with `BUNDLE_FROZEN=true`): does the lockfile still answer for this
//! Gemfile? fastbundle never re-resolves, so this is the only question it
//! asks, and it asks it as frozen Bundler does:
//!
//! - the same dependency names with equal requirements (added, deleted,
//!   changed);
//! - the same list of sources (`SourceList#replace_sources!`): every
//!   rubygems, git and path source of the Gemfile, compared with `Source#==`;
//! - each dependency from a source that includes the Gemfile's
//!   (`lock_source.include?(gemfile_source)`), so moving a gem to a git or
//!   path source, or to another remote, is a change while a `source` block
//!   naming the global remote again is not.
//!
//! A lockfile whose single GEM section lists several remotes (the layout of
//! older Bundlers) is read as frozen Bundler reads it: the Gemfile's rubygems
//! sources are compared as one merged source
//! (`SourceList#merged_gem_lockfile_sections!`). Bundler without frozen would
//! re-resolve and rewrite such a lockfile; frozen Bundler, and fastbundle,
//! use it as it is.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::lockfile::{LockedDependency, LockedSpec, Lockfile};
use crate::request::GemfileDependency;
use crate::source::{self, Source};

/// One source the Gemfile declares (`Definition#sources` order).
#[derive(Clone, Debug)]
pub struct GemfileSource {
    pub source: Source,
    /// The global rubygems source (top-level `source` lines) or a path
    /// source given without a block.
    pub global: bool,
}

/// How the Gemfile and the lockfile differ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// Sources only the Gemfile has, and only the lockfile has.
    pub new_sources: Vec<String>,
    pub old_sources: Vec<String>,
    pub added: Vec<String>,
    pub deleted: Vec<String>,
    pub changed: Vec<String>,
}

impl Mismatch {
    pub fn is_empty(&self) -> bool {
        self.new_sources.is_empty()
            && self.old_sources.is_empty()
            && self.added.is_empty()
            && self.deleted.is_empty()
            && self.changed.is_empty()
    }

    /// `gemfile` and `lockfile` are the file names the user knows.
    pub fn message(&self, gemfile: &str, lockfile: &str) -> String {
        let mut msg = format!(
            "The {gemfile} and {lockfile} do not match, and fastbundle never re-resolves.\n\
             Run `bundle install` to update {lockfile}, then try again.\n"
        );
        let lists: [(String, &Vec<String>); 5] = [
            (format!("Sources in the {gemfile} but not in {lockfile}"), &self.new_sources),
            (format!("Sources in {lockfile} but no longer in the {gemfile}"), &self.old_sources),
            (format!("You added to the {gemfile}"), &self.added),
            (format!("You deleted from the {gemfile}"), &self.deleted),
            (format!("You changed in the {gemfile}"), &self.changed),
        ];
        for (title, list) in lists {
            if !list.is_empty() {
                msg.push_str(&format!("\n{title}:\n"));
                for item in list {
                    msg.push_str(&format!("* {item}\n"));
                }
            }
        }
        msg
    }
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
pub fn same_requirements(a: &[String], b: &[String]) -> bool {
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
                && crate::platform::compare_versions(va, vb) == std::cmp::Ordering::Equal
                && (oa != "~>" || va == vb)
        })
}

fn show(reqs: &[String]) -> String {
    if reqs.is_empty() {
        ">= 0".to_string()
    } else {
        reqs.join(", ")
    }
}

/// Frozen Bundler's verdict: `Ok` when the lockfile answers for the Gemfile.
pub fn check(
    deps: &[GemfileDependency],
    sources: &[GemfileSource],
    lock: &Lockfile,
    root: &Path,
) -> Result<(), Mismatch> {
    let mut mismatch = Mismatch::default();
    let locked = source::locked_sources(lock, root);

    // The lockfile's rubygems sources merged into one section: the Gemfile's
    // global source becomes that section (merged_gem_lockfile_sections!).
    let locked_gems: Vec<&Source> = locked.iter().map(|(_, s)| s).filter(|s| s.is_rubygems()).collect();
    let merged: Option<&Source> = match locked_gems.as_slice() {
        [only] if matches!(only, Source::Rubygems { remotes } if remotes.len() > 1) => Some(*only),
        _ => None,
    };
    let global_gem = sources.iter().position(|s| s.global && s.source.is_rubygems());
    let global_path = sources.iter().position(|s| s.global && matches!(s.source, Source::Path { .. }));
    let no_remotes = Source::Rubygems { remotes: Vec::new() };
    // A Gemfile source as the frozen check sees it (the global one may have
    // become the lockfile's merged section).
    let effective = |i: usize| -> Option<&Source> {
        match merged {
            Some(m) if Some(i) == global_gem => Some(m),
            _ => sources.get(i).map(|s| &s.source),
        }
    };
    let default_source: &Source = match (global_path, global_gem) {
        (Some(p), _) => &sources[p].source,
        (None, Some(g)) => effective(g).unwrap_or(&no_remotes),
        (None, None) => merged.unwrap_or(&no_remotes),
    };

    // SourceList#replace_sources!: the Gemfile's sources, as they would be
    // locked, against the lockfile's (no lockfile sources: nothing to compare).
    if !locked.is_empty() {
        let mut ours: Vec<Source> = sources.iter().filter(|s| !s.source.is_rubygems()).map(|s| s.source.clone()).collect();
        let non_global: Vec<&Source> = sources
            .iter()
            .enumerate()
            .filter(|(i, s)| s.source.is_rubygems() && Some(*i) != global_gem)
            .map(|(_, s)| &s.source)
            .collect();
        match merged {
            Some(Source::Rubygems { remotes: lock_remotes }) => {
                // combine_rubygems_sources, in Bundler's internal (reversed)
                // order: newest non-global source first, then the merged one.
                let mut combined: Vec<String> = Vec::new();
                let internal = non_global
                    .iter()
                    .rev()
                    .flat_map(|s| match s {
                        Source::Rubygems { remotes } => remotes.iter().rev().cloned().collect::<Vec<_>>(),
                        _ => Vec::new(),
                    })
                    .chain(lock_remotes.iter().rev().cloned());
                for r in internal {
                    if !combined.contains(&r) {
                        combined.push(r);
                    }
                }
                combined.reverse();
                ours.push(Source::Rubygems { remotes: combined });
            }
            _ => {
                ours.extend(non_global.into_iter().cloned());
                ours.push(global_gem.map(|g| sources[g].source.clone()).unwrap_or_else(|| no_remotes.clone()));
            }
        }
        let mut theirs: Vec<Option<&Source>> = locked.iter().map(|(_, s)| Some(s)).collect();
        for s in &ours {
            match theirs.iter_mut().find(|t| t.is_some_and(|t| t.same_as(s))) {
                Some(slot) => *slot = None,
                None => mismatch.new_sources.push(s.describe()),
            }
        }
        mismatch.old_sources.extend(theirs.into_iter().flatten().map(Source::describe));
    }

    // Dependencies: names and requirements, then each one's source.
    // Bundler's hashes: a repeated DEPENDENCIES entry replaces the earlier
    // one; a spec's source is that of the first spec of its name.
    let locked_deps: HashMap<&str, &LockedDependency> =
        lock.dependencies.iter().map(|d| (lock.str(d.dep.name), d)).collect();
    let mut first_spec: HashMap<&str, &LockedSpec> = HashMap::with_capacity(lock.specs.len());
    for s in &lock.specs {
        first_spec.entry(lock.str(s.name)).or_insert(s);
    }
    let mut seen: HashSet<&str> = HashSet::with_capacity(deps.len());
    for dep in deps {
        if !seen.insert(dep.name.as_str()) {
            continue;
        }
        let Some(ld) = locked_deps.get(dep.name.as_str()).copied() else {
            mismatch.added.push(format!("{} ({})", dep.name, show(&dep.requirements)));
            continue;
        };
        let lreqs: Vec<String> = lock.requirements(&ld.dep).map(str::to_string).collect();
        if !same_requirements(&lreqs, &dep.requirements) {
            mismatch.changed.push(format!("{} from `{}` to `{}`", dep.name, show(&lreqs), show(&dep.requirements)));
            continue;
        }
        // Bundler skips a locked dependency that has no locked spec.
        let Some(spec) = first_spec.get(dep.name.as_str()) else { continue };
        let gemfile_source = dep.source.and_then(effective).unwrap_or(default_source);
        let lock_source = if ld.pinned && dep.name != "bundler" {
            match locked.iter().find(|(i, _)| *i == spec.source as usize) {
                Some((_, s)) => s,
                None => continue, // a plugin source: not compared
            }
        } else {
            default_source
        };
        if !lock_source.includes(gemfile_source) {
            let was = if ld.pinned { lock_source.describe() } else { "no specified source".to_string() };
            let now = if dep.source.is_some() { gemfile_source.describe() } else { "no specified source".to_string() };
            mismatch.changed.push(format!("{} from `{was}` to `{now}`", dep.name));
        }
    }
    for d in &lock.dependencies {
        let name = lock.str(d.dep.name);
        if name != "bundler" && !seen.contains(name) {
            mismatch.deleted.push(name.to_string());
        }
    }

    if mismatch.is_empty() {
        Ok(())
    } else {
        Err(mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{normalize_remote, DEFAULT_GLOB};

    fn gem_source(remotes: &[&str], global: bool) -> GemfileSource {
        GemfileSource {
            source: Source::Rubygems { remotes: remotes.iter().map(|r| normalize_remote(r)).collect() },
            global,
        }
    }

    fn dep(name: &str, reqs: &[&str], source: Option<usize>) -> GemfileDependency {
        GemfileDependency {
            name: name.into(),
            requirements: reqs.iter().map(|r| r.to_string()).collect(),
            groups: vec!["default".into()],
            should_include: true,
            pinned: source.is_some(),
            force_ruby_platform: false,
            source,
        }
    }

    const LOCK: &str = "GEM\n  remote: https://a.io/\n  specs:\n    alpha (1.0)\n      beta (~> 2.0)\n    beta (2.1)\n\n\
                        PLATFORMS\n  ruby\n\nDEPENDENCIES\n  alpha\n  beta\n";

    fn run(deps: &[GemfileDependency], sources: &[GemfileSource], lock: &str) -> Result<(), Mismatch> {
        check(deps, sources, &Lockfile::parse(lock).unwrap(), Path::new("/app"))
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
    fn dependencies_added_deleted_changed() {
        let sources = [gem_source(&["https://a.io"], true)];
        assert_eq!(run(&[dep("alpha", &[], None), dep("beta", &[], None)], &sources, LOCK), Ok(()));
        let err = run(&[dep("alpha", &["~> 1.0"], None), dep("gamma", &[], None)], &sources, LOCK).unwrap_err();
        assert_eq!(err.added, ["gamma (>= 0)"]);
        assert_eq!(err.deleted, ["beta"]);
        assert_eq!(err.changed, ["alpha from `>= 0` to `~> 1.0`"]);
        assert!(err.new_sources.is_empty() && err.old_sources.is_empty());
    }

    #[test]
    fn a_source_block_naming_the_global_remote_again_is_no_change() {
        // `source "https://a.io" do gem "beta" end`: the recorder hands back
        // the global source itself, as Bundler's add_rubygems_source does.
        let sources = [gem_source(&["https://a.io"], true)];
        assert_eq!(run(&[dep("alpha", &[], None), dep("beta", &[], Some(0))], &sources, LOCK), Ok(()));
    }

    #[test]
    fn another_remote_or_kind_of_source_is_a_change() {
        let sources = [gem_source(&["https://a.io"], true), gem_source(&["https://b.io"], false)];
        let err = run(&[dep("alpha", &[], None), dep("beta", &[], Some(1))], &sources, LOCK).unwrap_err();
        assert_eq!(err.new_sources, ["rubygems repository https://b.io/"]);
        assert_eq!(err.changed, ["beta from `no specified source` to `rubygems repository https://b.io/`"]);

        let path = GemfileSource {
            source: Source::Path { expanded_path: "/app/vendor/beta".into(), shown: "vendor/beta".into(), version: None },
            global: false,
        };
        let err = run(&[dep("alpha", &[], None), dep("beta", &[], Some(1))], &[sources[0].clone(), path], LOCK).unwrap_err();
        assert_eq!(err.changed, ["beta from `no specified source` to `source at `vendor/beta``"]);

        let moved = [gem_source(&["https://c.io"], true)];
        let err = run(&[dep("alpha", &[], None), dep("beta", &[], None)], &moved, LOCK).unwrap_err();
        assert_eq!(err.new_sources, ["rubygems repository https://c.io/"]);
        assert_eq!(err.old_sources, ["rubygems repository https://a.io/"]);
        assert!(err.changed.is_empty());
    }

    #[test]
    fn git_and_path_options_must_match_the_lock() {
        let lock = "GIT\n  remote: https://x.io/g.git\n  revision: 0123456789\n  branch: main\n  specs:\n    g (1.0)\n\n\
                    PATH\n  remote: vendor/p\n  specs:\n    p (0.1)\n\n\
                    GEM\n  remote: https://a.io/\n  specs:\n\n\
                    PLATFORMS\n  ruby\n\nDEPENDENCIES\n  g!\n  p!\n";
        let git = |branch: Option<&str>| Source::Git {
            uri: "https://x.io/g.git".into(),
            reference: branch.map(Into::into),
            branch: branch.map(Into::into),
            glob: DEFAULT_GLOB.into(),
            submodules: None,
            version: String::new(),
        };
        let path = |p: &str| Source::Path { expanded_path: format!("/app/{p}"), shown: p.into(), version: None };
        let sources = |g: Source, p: Source| {
            vec![gem_source(&["https://a.io"], true), GemfileSource { source: g, global: false }, GemfileSource {
                source: p,
                global: false,
            }]
        };
        let deps = [dep("g", &[], Some(1)), dep("p", &[], Some(2))];
        assert_eq!(run(&deps, &sources(git(Some("main")), path("vendor/p")), lock), Ok(()));
        let err = run(&deps, &sources(git(None), path("vendor/q")), lock).unwrap_err();
        assert_eq!(err.changed, [
            "g from `git https://x.io/g.git (branch: main)` to `git https://x.io/g.git`",
            "p from `source at `vendor/p`` to `source at `vendor/q``"
        ]);
        assert_eq!(err.new_sources.len(), 2);
        assert_eq!(err.old_sources.len(), 2);
    }

    #[test]
    fn an_old_lockfile_with_merged_remotes_still_answers() {
        // Bundler 1.x wrote every rubygems remote into one GEM section.
        let lock = "GEM\n  remote: https://a.io/\n  remote: https://b.io/\n  specs:\n    alpha (1.0)\n    beta (2.1)\n\n\
                    PLATFORMS\n  ruby\n\nDEPENDENCIES\n  alpha\n  beta!\n";
        let sources = [gem_source(&["https://a.io"], true), gem_source(&["https://b.io"], false)];
        assert_eq!(run(&[dep("alpha", &[], None), dep("beta", &[], Some(1))], &sources, lock), Ok(()));
        let elsewhere = [gem_source(&["https://a.io"], true), gem_source(&["https://c.io"], false)];
        let err = run(&[dep("alpha", &[], None), dep("beta", &[], Some(1))], &elsewhere, lock).unwrap_err();
        assert_eq!(err.changed, ["beta from `rubygems repository https://a.io/, https://b.io/` to `rubygems repository https://c.io/`"]);
    }

    #[test]
    fn message_names_both_files_and_the_fix() {
        let m = Mismatch { added: vec!["gamma (>= 0)".into()], ..Mismatch::default() };
        let text = m.message("Gemfile", "Gemfile.lock");
        assert!(text.contains("Run `bundle install` to update Gemfile.lock"));
        assert!(text.contains("You added to the Gemfile:\n* gamma (>= 0)\n"));
    }
}
