//! Sources of gems as Bundler 2.3.15 compares them: `Source::Rubygems`,
//! `Source::Git` and `Source::Path`, with their `==`, `include?` and a
//! credential-free description for messages.
//!
//! The same source is described twice: by the Gemfile (the Ruby side sends
//! what its recorder saw) and by the lockfile's GEM / GIT / PATH sections.
//! The frozen check (`frozen.rs`) asks whether the two still agree.
//!
//! Credentials never get here: Gemfile remotes come already filtered
//! (`https://***@host/`) and lockfile remotes are filtered the same way
//! ([`redact`]) before they are stored. Bundler compares remotes with their
//! credentials, so a user, token or password that changed in the Gemfile
//! alone goes unnoticed here; that is the one place where fastbundle is
//! more lenient.

use std::path::Path;

use crate::lockfile::{Lockfile, SourceKind};
use crate::redact::redact;

/// The glob Bundler uses to find gemspecs in path and git sources.
pub const DEFAULT_GLOB: &str = "{,*,*/*}.gemspec";

#[derive(Clone, Debug)]
pub enum Source {
    /// Remotes in the order written (Gemfile `source` lines, lockfile
    /// `remote:` lines), normalised and without passwords.
    Rubygems { remotes: Vec<String> },
    Git {
        uri: String,
        /// Bundler's `ref`: the `ref`, else `branch`, else `tag` option.
        reference: Option<String>,
        branch: Option<String>,
        glob: String,
        submodules: Option<String>,
        /// Set when the gem is locked to one exact version (`gem "x", "1.0",
        /// git: ...`), else empty.
        version: String,
    },
    Path {
        /// Absolute and lexically normalised.
        expanded_path: String,
        /// As the user wrote it (shown in messages).
        shown: String,
        version: Option<String>,
    },
}

impl Source {
    /// `Source#==` (Bundler's `eql?`).
    pub fn same_as(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::Rubygems { remotes: a }, Source::Rubygems { remotes: b }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| credless(x) == credless(y))
            }
            (
                Source::Git { uri: u1, reference: r1, branch: b1, glob: g1, submodules: s1, version: v1 },
                Source::Git { uri: u2, reference: r2, branch: b2, glob: g2, submodules: s2, version: v2 },
            ) => u1 == u2 && r1 == r2 && b1 == b2 && g1 == g2 && s1 == s2 && v1 == v2,
            (
                Source::Path { expanded_path: p1, version: v1, .. },
                Source::Path { expanded_path: p2, version: v2, .. },
            ) => p1 == p2 && v1 == v2,
            _ => false,
        }
    }

    /// `Source#include?`: a rubygems source includes another whose remotes
    /// are all among its own; any other source only itself.
    pub fn includes(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::Rubygems { remotes: mine }, Source::Rubygems { remotes: theirs }) => {
                theirs.iter().all(|r| mine.iter().any(|m| credless(m) == credless(r)))
            }
            _ => self.same_as(other),
        }
    }

    /// How messages name the source (after Bundler's `identifier`, with the
    /// git options that tell two checkouts of one repository apart),
    /// redacted whole: besides a git URI, a path or an option
    /// (`branch: https://TOKEN@host/...`) may hold a userinfo.
    pub fn describe(&self) -> String {
        let text = self.describe_as_written();
        match redact(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(hidden) => hidden,
        }
    }

    fn describe_as_written(&self) -> String {
        match self {
            Source::Rubygems { remotes } if remotes.is_empty() => "locally installed gems".to_string(),
            Source::Rubygems { remotes } => format!("rubygems repository {}", remotes.join(", ")),
            Source::Git { uri, reference, branch, glob, submodules, .. } => {
                let mut extras = Vec::new();
                if let Some(b) = branch {
                    extras.push(format!("branch: {b}"));
                }
                if let Some(r) = reference.as_ref().filter(|r| Some(*r) != branch.as_ref()) {
                    extras.push(format!("ref: {r}"));
                }
                if glob != DEFAULT_GLOB {
                    extras.push(format!("glob: {glob}"));
                }
                if let Some(s) = submodules {
                    extras.push(format!("submodules: {s}"));
                }
                if extras.is_empty() {
                    format!("git {uri}")
                } else {
                    format!("git {uri} ({})", extras.join(", "))
                }
            }
            Source::Path { shown, .. } => format!("source at `{shown}`"),
        }
    }

    pub fn is_rubygems(&self) -> bool {
        matches!(self, Source::Rubygems { .. })
    }
}

/// A rubygems remote as Bundler's `normalize_uri` and `URI#==` see it: a
/// trailing slash added, scheme and host compared case-insensitively. The
/// userinfo is hidden as everywhere else.
pub fn normalize_remote(remote: &str) -> String {
    let remote = redact(remote.trim());
    let mut out = match remote.find("://") {
        Some(i) => {
            let (scheme, rest) = remote.split_at(i);
            let rest = &rest[3..];
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let (userinfo, host) = match authority.rfind('@') {
                Some(at) => authority.split_at(at + 1),
                None => ("", authority),
            };
            format!("{}://{userinfo}{}{tail}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase())
        }
        None => remote.into_owned(),
    };
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// `File.expand_path(path, root)` without touching the file system.
pub fn expand_path(root: &Path, path: &str) -> String {
    crate::paths::expand_path(path, root, None)
}

/// The lockfile's sources (GEM, GIT, PATH; plugin sources are left out, as
/// fastbundle cannot load plugins), each with the index of its section in
/// [`Lockfile::sources`].
///
/// Like Bundler's `LockfileParser`, a pinned `DEPENDENCIES` entry with one
/// exact requirement (`x (= 1.0)!`) gives its git or path source that
/// version.
pub fn locked_sources(lock: &Lockfile, root: &Path) -> Vec<(usize, Source)> {
    let mut versions: Vec<Option<String>> = vec![None; lock.sources.len()];
    for d in &lock.dependencies {
        if !d.pinned {
            continue;
        }
        let name = lock.str(d.dep.name);
        let Some(spec) = lock.specs.iter().find(|s| lock.str(s.name) == name) else { continue };
        let reqs: Vec<&str> = lock.requirements(&d.dep).collect();
        if let [only] = reqs.as_slice() {
            if let Some(v) = only.trim().strip_prefix("= ") {
                versions[spec.source as usize] = Some(v.trim().to_string());
            }
        }
    }
    let mut out = Vec::new();
    for (i, s) in lock.sources.iter().enumerate() {
        let option = |key: &str| {
            s.options.iter().rev().find(|(k, _)| lock.str(*k) == key).map(|(_, v)| lock.str(*v).to_string())
        };
        let remote = s.remotes.first().map(|&r| lock.str(r)).unwrap_or("");
        let source = match s.kind {
            SourceKind::Gem => {
                Source::Rubygems { remotes: s.remotes.iter().map(|&r| normalize_remote(lock.str(r))).collect() }
            }
            SourceKind::Git => Source::Git {
                uri: redact(remote).into_owned(),
                reference: option("ref").or_else(|| option("branch")).or_else(|| option("tag")),
                branch: option("branch"),
                glob: option("glob").unwrap_or_else(|| DEFAULT_GLOB.to_string()),
                submodules: option("submodules"),
                version: versions[i].clone().unwrap_or_default(),
            },
            SourceKind::Path => Source::Path {
                expanded_path: expand_path(root, remote),
                shown: remote.to_string(),
                version: versions[i].clone(),
            },
            SourceKind::Plugin => continue,
        };
        out.push((i, source));
    }
    out
}

/// `Source::Rubygems#credless_remotes` (remove_auth): the remote without
/// its userinfo. Bundler compares rubygems sources this way, and 2.5+ locks
/// them so (2.3 keeps credentials written in the Gemfile).
fn credless(remote: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = remote.find("://").map(|i| i + 3) else { return remote.into() };
    let authority_end = remote[scheme_end..].find(['/', '?', '#']).map_or(remote.len(), |i| scheme_end + i);
    match remote[scheme_end..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &remote[..scheme_end], &remote[scheme_end + at + 1..]).into(),
        None => remote.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gem(remotes: &[&str]) -> Source {
        Source::Rubygems { remotes: remotes.iter().map(|r| normalize_remote(r)).collect() }
    }

    #[test]
    fn remotes_normalise_like_bundler() {
        assert_eq!(normalize_remote("https://RubyGems.org"), "https://rubygems.org/");
        assert_eq!(normalize_remote("HTTP://u:secret@Host:8080/Path"), "http://***@host:8080/Path/");
        assert_eq!(normalize_remote("http://127.0.0.1:9/"), "http://127.0.0.1:9/");
    }

    #[test]
    fn rubygems_equality_and_inclusion() {
        assert!(gem(&["https://a.io"]).same_as(&gem(&["https://a.io/"])));
        assert!(!gem(&["https://a.io", "https://b.io"]).same_as(&gem(&["https://b.io", "https://a.io"])));
        assert!(gem(&["https://a.io", "https://b.io"]).includes(&gem(&["https://b.io"])));
        assert!(!gem(&["https://a.io"]).includes(&gem(&["https://b.io"])));
        assert!(gem(&[]).same_as(&gem(&[])));
    }

    #[test]
    fn git_and_path_equality() {
        let git = |branch: Option<&str>, glob: &str| Source::Git {
            uri: "https://x.io/r.git".into(),
            reference: branch.map(Into::into),
            branch: branch.map(Into::into),
            glob: glob.into(),
            submodules: None,
            version: String::new(),
        };
        assert!(git(None, DEFAULT_GLOB).same_as(&git(None, DEFAULT_GLOB)));
        assert!(!git(Some("main"), DEFAULT_GLOB).same_as(&git(None, DEFAULT_GLOB)));
        assert!(!git(None, "*.gemspec").same_as(&git(None, DEFAULT_GLOB)));
        assert_eq!(git(Some("main"), "*.gemspec").describe(), "git https://x.io/r.git (branch: main, glob: *.gemspec)");
        let root = Path::new("/app");
        let path = |p: &str| Source::Path { expanded_path: expand_path(root, p), shown: p.into(), version: None };
        assert!(path("vendor/a").same_as(&path("./vendor/a/")));
        assert!(path("vendor/a").same_as(&path("/app/vendor/x/../a")));
        assert!(!path("vendor/a").same_as(&path("vendor/b")));
        assert!(!path("vendor/a").same_as(&gem(&[])));
        assert_eq!(expand_path(root, "../.."), "/");
    }

    #[test]
    fn lockfile_sources_with_pinned_versions() {
        let text = "GIT\n  remote: https://u:pw@x.io/r.git\n  revision: abc\n  branch: dev\n  specs:\n    r (1.0)\n\n\
                    PATH\n  remote: vendor/p\n  specs:\n    p (0.1.0)\n\n\
                    GEM\n  remote: https://A.io/\n  remote: https://b.io/\n  specs:\n    g (1.0)\n\n\
                    DEPENDENCIES\n  g\n  p (= 0.1.0)!\n  r!\n";
        let lock = Lockfile::parse(text).unwrap();
        let sources = locked_sources(&lock, Path::new("/app"));
        assert_eq!(sources.len(), 3);
        match &sources[0].1 {
            Source::Git { uri, reference, branch, version, .. } => {
                assert_eq!(uri, "https://***@x.io/r.git");
                assert_eq!(reference.as_deref(), Some("dev"));
                assert_eq!(branch.as_deref(), Some("dev"));
                assert_eq!(version, "");
            }
            other => panic!("{other:?}"),
        }
        match &sources[1].1 {
            Source::Path { expanded_path, version, .. } => {
                assert_eq!(expanded_path, "/app/vendor/p");
                assert_eq!(version.as_deref(), Some("0.1.0"));
            }
            other => panic!("{other:?}"),
        }
        assert!(sources[2].1.same_as(&gem(&["https://a.io", "https://b.io"])));
    }

    #[test]
    fn drops_only_the_userinfo() {
        assert_eq!(credless("http://u:p@127.0.0.1:9/"), "http://127.0.0.1:9/");
        assert_eq!(credless("https://tok@gems.example.com/private/"), "https://gems.example.com/private/");
        assert_eq!(credless("https://gems.example.com/a@b/"), "https://gems.example.com/a@b/");
        assert_eq!(credless("file:///srv/gems/"), "file:///srv/gems/");
    }
}
