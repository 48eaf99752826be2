//! Why a plan cannot be made, with the message and the status code Bundler
//! exits with for the same world.

use std::path::Path;

use crate::frozen::Mismatch;
use crate::lockfile::LockfileError;
use crate::redact::redact;

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
    /// The full names of the locked gems a GemNotFound is about (not
    /// installed, or broken), handed to Ruby as data so that `fastbundle
    /// check` lists them without reading the message.
    pub fn missing_gems(&self) -> Option<Vec<&str>> {
        match self {
            PlanError::GemNotFound(missing) => Some(missing.iter().map(String::as_str).collect()),
            PlanError::BrokenInstall { full_name, .. } => Some(vec![full_name.as_str()]),
            PlanError::AfterSkippedLines { error, .. } => error.missing_gems(),
            _ => None,
        }
    }

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

/// The last component of a path, as the user knows the file.
pub(crate) fn file_name(path: &str) -> &str {
    Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path)
}
