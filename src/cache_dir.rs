//! Where fastbundle keeps its caches (plan entries, compiled Gemfiles and
//! Ruby files), and whether a directory there may be trusted.
//!
//! `FASTBUNDLE_CACHE=0` (or `false`, `no`, `off`): no cache at all.
//! `FASTBUNDLE_CACHE_DIR`: that directory. Else `$XDG_CACHE_HOME/fastbundle`,
//! else `$HOME/.cache/fastbundle`. A relative path in any of these is
//! ignored (XDG says so for its variables; a relative HOME once made
//! benchmark runs write caches into the current directory): then there is
//! no cache, rather than one under the current directory.
//!
//! A directory is trusted only if it is a real directory (not a symlink)
//! owned by the effective user and writable by no one else: an entry there
//! was written by this user. Nothing is read from, or written to, any
//! other directory.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Why there is no cache directory, for FASTBUNDLE_DEBUG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoCache {
    /// FASTBUNDLE_CACHE=0.
    Disabled,
    /// Neither FASTBUNDLE_CACHE_DIR, XDG_CACHE_HOME nor HOME is an absolute path.
    NoLocation,
    /// The directory exists but is not ours alone (owner, mode, a symlink, a file).
    Untrusted(PathBuf),
    /// It could not be created.
    Uncreatable(PathBuf),
}

impl NoCache {
    pub fn describe(&self) -> String {
        match self {
            NoCache::Disabled => "FASTBUNDLE_CACHE=0".to_string(),
            NoCache::NoLocation => {
                "no cache directory (FASTBUNDLE_CACHE_DIR, XDG_CACHE_HOME and HOME are not absolute paths)".to_string()
            }
            NoCache::Untrusted(p) => {
                format!("{} is not a directory owned by this user and writable by it alone", p.display())
            }
            NoCache::Uncreatable(p) => format!("{} cannot be created", p.display()),
        }
    }
}

/// Is the cache turned off by this value of FASTBUNDLE_CACHE?
pub fn disabled(value: Option<&str>) -> bool {
    matches!(value.map(str::to_ascii_lowercase).as_deref(), Some("0" | "false" | "no" | "off"))
}

/// The cache root the environment names (not created or checked).
pub fn locate(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, NoCache> {
    if disabled(var("FASTBUNDLE_CACHE").as_deref().and_then(|v| v.to_str())) {
        return Err(NoCache::Disabled);
    }
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(dir) = var("FASTBUNDLE_CACHE_DIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() { Ok(dir) } else { Err(NoCache::NoLocation) };
    }
    if let Some(xdg) = absolute("XDG_CACHE_HOME") {
        return Ok(xdg.join("fastbundle"));
    }
    absolute("HOME").map(|home| home.join(".cache").join("fastbundle")).ok_or(NoCache::NoLocation)
}

/// [`locate`] on the process environment.
pub fn locate_from_env() -> Result<PathBuf, NoCache> {
    locate(|name| std::env::var_os(name))
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Owned by us, not a symlink, no group or other write bit.
pub fn trusted_metadata(meta: &fs::Metadata) -> bool {
    meta.uid() == euid() && meta.mode() & 0o022 == 0
}

/// `dir` if it is a directory we may read entries from.
pub fn trusted(dir: &Path) -> Result<&Path, NoCache> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() && trusted_metadata(&meta) => Ok(dir),
        _ => Err(NoCache::Untrusted(dir.to_path_buf())),
    }
}

/// `sub` under the cache root, created (mode 0700, parents too) if missing,
/// if it can be trusted. The root's own parents are not checked: they are
/// the user's choice (HOME, XDG_CACHE_HOME).
pub fn prepare(root: &Path, sub: &str) -> Result<PathBuf, NoCache> {
    let dir = if sub.is_empty() { root.to_path_buf() } else { root.join(sub) };
    // Nothing is made inside a root that exists and is not ours alone.
    if fs::symlink_metadata(root).is_ok() {
        trusted(root)?;
    }
    if fs::symlink_metadata(&dir).is_err() {
        let created = fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir);
        if created.is_err() && !dir.is_dir() {
            return Err(NoCache::Uncreatable(dir));
        }
    }
    trusted(root)?;
    trusted(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn precedence_and_relative_paths() {
        let all = [("FASTBUNDLE_CACHE_DIR", "/c"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")];
        assert_eq!(locate(env(&all)), Ok(PathBuf::from("/c")));
        assert_eq!(locate(env(&all[1..])), Ok(PathBuf::from("/x/fastbundle")));
        assert_eq!(locate(env(&all[2..])), Ok(PathBuf::from("/h/.cache/fastbundle")));
        assert_eq!(locate(env(&[("XDG_CACHE_HOME", "x"), ("HOME", "/h")])), Ok(PathBuf::from("/h/.cache/fastbundle")));
        assert_eq!(locate(env(&[("HOME", "30")])), Err(NoCache::NoLocation));
        assert_eq!(locate(env(&[("HOME", "")])), Err(NoCache::NoLocation));
        assert_eq!(locate(env(&[])), Err(NoCache::NoLocation));
        assert_eq!(locate(env(&[("FASTBUNDLE_CACHE_DIR", "rel"), ("HOME", "/h")])), Err(NoCache::NoLocation));
        for off in ["0", "false", "NO", "off"] {
            assert_eq!(locate(env(&[("FASTBUNDLE_CACHE", off), ("HOME", "/h")])), Err(NoCache::Disabled));
        }
        assert_eq!(
            locate(env(&[("FASTBUNDLE_CACHE", "1"), ("HOME", "/h")])),
            Ok(PathBuf::from("/h/.cache/fastbundle"))
        );
    }

    #[test]
    fn prepare_creates_private_dirs_and_refuses_shared_ones() {
        let tmp = std::env::temp_dir().join(format!("fb-cache-dir-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        let root = tmp.join("root");
        let dir = prepare(&root, "plan").expect("created");
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);

        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(prepare(&root, "plan"), Err(NoCache::Untrusted(_))));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();

        fs::set_permissions(&root, fs::Permissions::from_mode(0o707)).unwrap();
        assert!(matches!(prepare(&root, "iseq/build"), Err(NoCache::Untrusted(_))));
        assert!(!root.join("iseq").exists(), "a directory made inside a root others can write");
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).unwrap();

        fs::write(root.join("file"), b"x").unwrap();
        assert!(matches!(prepare(&root, "file"), Err(NoCache::Untrusted(_) | NoCache::Uncreatable(_))));
        std::os::unix::fs::symlink(&dir, root.join("link")).unwrap();
        assert!(matches!(prepare(&root, "link"), Err(NoCache::Untrusted(_))));
        let _ = fs::remove_dir_all(&tmp);
    }
}
