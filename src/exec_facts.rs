//! What a Ruby `fastbundle exec` parent learned from RubyGems, kept for the
//! native launcher (launcher/, run by `bin/fastbundle`): with them it sets
//! the bundle's ENV and execs the command without starting a Ruby of its
//! own, which with RubyGems costs as much as the command's own start-up.
//!
//! Written only by a Ruby parent the launcher started (it had no current
//! facts), read only by the launcher. Facts hold for one Ruby binary, one
//! fastbundle and the environment RubyGems reads its paths and Bundler's
//! version requirement from (`GEM_*`, `RUBY*`, `RB_*`, HOME, XDG dirs,
//! BUNDLER_VERSION), and only while every specifications dir RubyGems
//! looked in, and RubyGems itself, keep their stamp: installing or removing
//! a gem there may change the newest Bundler. A file that fails any check is
//! a miss, and the launcher asks Ruby.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::digest::sha256;
use crate::{cache_dir, sealed};

/// Bumped when the layout changes.
const FORMAT: u8 = 1;
const SUBDIR: &str = "exec";
/// Longer than a tick of the kernel's coarse file-time clock (4–10 ms).
const RACY_MARGIN: Duration = Duration::from_millis(20);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecKey {
    /// The Ruby binary, resolved (`/usr/bin/ruby3.1`).
    pub ruby: String,
    /// fastbundle's gem root: its `lib/` and `exe/`.
    pub root: String,
    /// Every variable [`relevant_var`] names, sorted, with the SHA-256 of
    /// its value (never the value: GEM_HOST_API_KEY is a credential).
    pub env: Vec<(String, [u8; 32])>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecFacts {
    pub key: ExecKey,
    /// (path, stamp) of each specifications dir and RubyGems' own file.
    pub stamps: Vec<(String, Stamp)>,
    /// `Gem.dir`, `Gem.user_home`, `RUBY_ENGINE/ruby_version`.
    pub gem_dir: String,
    pub user_home: Option<String>,
    pub ruby_scope: String,
    /// RbConfig's rubylibdir: RUBYLIB gets fastbundle's lib unless it is that.
    pub rubylibdir: String,
    /// `#!<Gem.ruby>\n`, one of the shebangs Bundler loads in-process.
    pub ruby_shebang: String,
    /// The newest installed Bundler: BUNDLER_VERSION and BUNDLE_BIN_PATH.
    pub bundler_version: Option<String>,
    pub bundle_bin_path: Option<String>,
    /// That Bundler's behaviour: it sets BUNDLER_SETUP (2.5+), and runs a
    /// relative command path as `./path` (2.4+).
    pub sets_bundler_setup: bool,
    pub dot_slash_relative: bool,
}

/// Device, inode, mtime (ns) and size; all zero for a missing path.
pub type Stamp = (u64, u64, i128, u64);

/// Whether RubyGems (or a Ruby it runs under) may read `name` for what the
/// facts hold. BUNDLE_* are not among them: the launcher reads the settings itself.
pub fn relevant_var(name: &str) -> bool {
    ["GEM_", "RUBY", "RB_"].iter().any(|p| name.starts_with(p))
        || ["HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "BUNDLER_VERSION"].contains(&name)
}

/// The relevant part of an environment, sorted, values digested.
pub fn key_env(vars: impl Iterator<Item = (String, String)>) -> Vec<(String, [u8; 32])> {
    let mut env: Vec<_> = vars.filter(|(k, _)| relevant_var(k)).map(|(k, v)| (k, sha256(v.as_bytes()))).collect();
    env.sort();
    env
}

pub fn stamp(path: &str) -> Stamp {
    match fs::metadata(path) {
        Ok(m) => (m.dev(), m.ino(), i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()), m.size()),
        Err(_) => (0, 0, 0, 0),
    }
}

/// Stamps of `paths`, unless one of them changed less than a clock tick
/// before `since` (when the Ruby parent began to look): a change in the
/// same tick as its look could leave stale facts under a current stamp.
pub fn stamps_settled(paths: &[String], since: SystemTime) -> Option<Vec<(String, Stamp)>> {
    let limit = since.checked_sub(RACY_MARGIN)?;
    let settled = |path: &String| match fs::metadata(path) {
        Ok(m) => m.modified().is_ok_and(|t| t < limit) && ctime(&m) < limit,
        Err(_) => true,
    };
    paths.iter().all(settled).then(|| paths.iter().map(|p| (p.clone(), stamp(p))).collect())
}

fn ctime(m: &fs::Metadata) -> SystemTime {
    let secs = u64::try_from(m.ctime()).unwrap_or(0);
    SystemTime::UNIX_EPOCH + Duration::new(secs, u32::try_from(m.ctime_nsec()).unwrap_or(0))
}

fn entry_path(dir: &Path, key: &ExecKey) -> PathBuf {
    let bytes = postcard::to_stdvec(key).unwrap_or_default();
    dir.join(format!("{:016x}", xxh3_64(&bytes)))
}

/// The facts stored for `key` under the cache root, if their stamps still hold.
pub fn read(cache_root: &Path, key: &ExecKey) -> Option<ExecFacts> {
    let dir = cache_root.join(SUBDIR);
    let payload = sealed::read(&entry_path(&dir, key))?;
    let (format, body) = payload.split_first()?;
    if *format != FORMAT {
        return None;
    }
    let facts: ExecFacts = postcard::from_bytes(body).ok()?;
    let current = facts.key == *key && facts.stamps.iter().all(|(path, s)| stamp(path) == *s);
    current.then_some(facts)
}

/// Stores `facts` unless the same are there already.
pub fn write(cache_root: &Path, facts: &ExecFacts) -> std::io::Result<()> {
    if read(cache_root, &facts.key).as_ref() == Some(facts) {
        return Ok(());
    }
    let dir = cache_dir::prepare(cache_root, SUBDIR).map_err(|e| std::io::Error::other(e.describe()))?;
    let mut payload = vec![FORMAT];
    payload.extend(postcard::to_stdvec(facts).map_err(std::io::Error::other)?);
    sealed::write(&entry_path(&dir, &facts.key), &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(dir: &Path) -> ExecFacts {
        let specs = dir.join("specifications");
        fs::create_dir_all(&specs).unwrap();
        let specs = specs.to_string_lossy().into_owned();
        ExecFacts {
            key: ExecKey { ruby: "/usr/bin/ruby".into(), root: "/gem".into(), env: vec![("HOME".into(), sha256(b"/h"))] },
            stamps: vec![(specs.clone(), stamp(&specs))],
            gem_dir: "/var/lib/gems/3.1.0".into(),
            user_home: Some("/h".into()),
            ruby_scope: "ruby/3.1.0".into(),
            rubylibdir: "/usr/lib/ruby/3.1.0".into(),
            ruby_shebang: "#!/usr/bin/ruby3.1\n".into(),
            bundler_version: Some("2.3.15".into()),
            bundle_bin_path: None,
            sets_bundler_setup: false,
            dot_slash_relative: false,
        }
    }

    #[test]
    fn facts_hold_for_their_key_until_a_stamped_dir_changes() {
        let tmp = std::env::temp_dir().join(format!("fb-exec-facts-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        let cache = tmp.join("cache");
        let f = facts(&tmp);
        write(&cache, &f).unwrap();
        assert_eq!(read(&cache, &f.key), Some(f.clone()));

        let mut other = f.key.clone();
        other.env[0].1 = sha256(b"/other");
        assert_eq!(read(&cache, &other), None);

        // A stamped dir replaced (a stamp in the same clock tick as a change
        // is what stamps_settled refuses to store).
        fs::rename(tmp.join("specifications"), tmp.join("old")).unwrap();
        fs::create_dir(tmp.join("specifications")).unwrap();
        assert_eq!(read(&cache, &f.key), None);
        fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn a_dir_changed_just_now_is_not_stamped() {
        let tmp = std::env::temp_dir().join(format!("fb-exec-settled-{}", std::process::id()));
        fs::create_dir_all(&tmp).unwrap();
        let path = vec![tmp.to_string_lossy().into_owned()];
        assert_eq!(stamps_settled(&path, SystemTime::now()), None);
        let later = SystemTime::now() + Duration::from_secs(1);
        assert_eq!(stamps_settled(&path, later).map(|s| s.len()), Some(1));
        fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn only_what_rubygems_reads_is_keyed() {
        let env = ["PWD", "GEM_HOME", "RUBYOPT", "BUNDLE_PATH", "HOME", "SHLVL", "GEM_REQUIREMENT_BUNDLER"]
            .map(|k| (k.to_string(), "x".to_string()));
        let names: Vec<_> = key_env(env.into_iter()).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["GEM_HOME", "GEM_REQUIREMENT_BUNDLER", "HOME", "RUBYOPT"]);
    }
}
