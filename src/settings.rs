//! Bundler's settings: `<app config>/config`, `BUNDLE_*` environment
//! variables and the user's global config, in Bundler's precedence (local >
//! env > global > default), with its key mangling and value conversions.
//!
//! Config files are written by Bundler's YAMLSerializer (`KEY: "value"` lines,
//! nested keys by two-space indent, `- item` lists); we read that format
//! without a YAML library, as Bundler itself does.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::redact;

/// `path` → `BUNDLE_PATH`, `path.system` → `BUNDLE_PATH__SYSTEM`,
/// `gem.test-framework` → `BUNDLE_GEM__TEST___FRAMEWORK`.
pub fn key_for(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 10);
    key.push_str("BUNDLE_");
    for c in name.chars() {
        match c {
            '.' => key.push_str("__"),
            '-' => key.push_str("___"),
            c => key.extend(c.to_uppercase()),
        }
    }
    key
}

/// Where the settings came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Local,
    Env,
    Global,
}

#[derive(Clone, Default)]
pub struct Settings {
    pub local_file: Option<PathBuf>,
    pub global_file: Option<PathBuf>,
    local: Vec<(String, String)>,
    env: Vec<(String, String)>,
    global: Vec<(String, String)>,
}

/// What the environment says about where settings live.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SettingsEnv {
    /// Every `BUNDLE_*` variable (others are ignored).
    pub bundle_vars: Vec<(String, String)>,
    /// RubyGems' idea of the user's home (`Gem.user_home`).
    pub user_home: Option<PathBuf>,
}

/// `(KEY, value)` pairs for `{:?}`: values of credential settings hidden
/// (`BUNDLE_GEMS__EXAMPLE__COM=user:pass`), URLs in others redacted.
struct Shown<'a>(&'a [(String, String)]);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(k, v)| (k, redact::setting_for_display(k, v)))).finish()
    }
}

impl fmt::Debug for SettingsEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsEnv")
            .field("bundle_vars", &Shown(&self.bundle_vars))
            .field("user_home", &self.user_home)
            .finish()
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("local_file", &self.local_file)
            .field("global_file", &self.global_file)
            .field("local", &Shown(&self.local))
            .field("env", &Shown(&self.env))
            .field("global", &Shown(&self.global))
            .finish()
    }
}

impl SettingsEnv {
    fn var(&self, key: &str) -> Option<&str> {
        self.bundle_vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// `BUNDLE_PATH` and friends resolved as Bundler's `Settings#path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundlePath {
    /// `path` (or `vendor/bundle` under `deployment`), relative to the root.
    pub explicit_path: Option<String>,
    pub system_path: bool,
}

impl BundlePath {
    /// Bundler 2: gems go to the system gem dir unless a path is set.
    pub fn use_system_gems(&self) -> bool {
        self.system_path || self.explicit_path.is_none()
    }
}

impl Settings {
    /// Reads the config files named by the environment. `app_config_dir` is
    /// `$BUNDLE_APP_CONFIG` (relative to the root) or `<root>/.bundle`.
    pub fn load(root: &Path, env: &SettingsEnv) -> Settings {
        let app_config_dir = match env.var("BUNDLE_APP_CONFIG") {
            Some(dir) => root.join(dir),
            None => root.join(".bundle"),
        };
        let local_file = Some(app_config_dir.join("config"));
        let nonempty = |k: &str| env.var(k).filter(|v| !v.is_empty());
        let global_file = if let Some(f) = nonempty("BUNDLE_CONFIG") {
            Some(PathBuf::from(f))
        } else if let Some(f) = nonempty("BUNDLE_USER_CONFIG") {
            Some(PathBuf::from(f))
        } else if let Some(h) = nonempty("BUNDLE_USER_HOME") {
            Some(Path::new(h).join("config"))
        } else {
            env.user_home.as_ref().filter(|h| !h.as_os_str().is_empty()).map(|h| h.join(".bundle/config"))
        };
        let ignore = env.var("BUNDLE_IGNORE_CONFIG").is_some();
        let read = |f: &Option<PathBuf>| match f {
            // Unreadable (or not a regular file: a FIFO would hang the boot,
            // as it hangs Bundler) is no settings, as for a missing file.
            Some(f) if !ignore => crate::input_file::read_regular(f, crate::input_file::MAX_CONFIG)
                .map(|b| parse_config(&String::from_utf8_lossy(&b)))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        Settings {
            local: read(&local_file),
            global: read(&global_file),
            env: env.bundle_vars.iter().filter(|(k, _)| k.len() > 7 && k.starts_with("BUNDLE_")).cloned().collect(),
            local_file,
            global_file,
        }
    }

    /// The raw `(KEY, value)` pairs of one level, in file order.
    pub fn level(&self, level: Level) -> &[(String, String)] {
        match level {
            Level::Local => &self.local,
            Level::Env => &self.env,
            Level::Global => &self.global,
        }
    }

    fn raw_at(&self, level: Level, name: &str) -> Option<&str> {
        let key = key_for(name);
        self.level(level).iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }

    /// The raw value of a setting, from the highest level that has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        [Level::Local, Level::Env, Level::Global].into_iter().find_map(|l| self.raw_at(l, name))
    }

    pub fn get_with_level(&self, name: &str) -> Option<(&str, Level)> {
        [Level::Local, Level::Env, Level::Global].into_iter().find_map(|l| self.raw_at(l, name).map(|v| (v, l)))
    }

    /// A boolean setting: unset, "", false, f, no, n, 0 are false.
    pub fn bool(&self, name: &str) -> bool {
        self.get(name).is_some_and(truthy)
    }

    /// A list setting (`with`, `without`, …): split on `:` and spaces.
    pub fn array(&self, name: &str) -> Vec<String> {
        self.get(name).map(split_list).unwrap_or_default()
    }

    /// Bundler's `Settings#path`: the first level that says anything about
    /// path / deployment / path.system / disable_shared_gems decides.
    pub fn path(&self) -> BundlePath {
        for level in [Level::Local, Level::Env, Level::Global] {
            let mut path = self.raw_at(level, "path").map(str::to_string);
            if path.is_none() && self.raw_at(level, "deployment").is_some_and(truthy) {
                path = Some("vendor/bundle".to_string());
            }
            let path_system = self.raw_at(level, "path.system");
            let disable_shared = self.raw_at(level, "disable_shared_gems");
            if path.is_none() && path_system.is_none() && disable_shared.is_none() {
                continue;
            }
            let system_path = path_system.is_some_and(truthy) || disable_shared.is_some_and(|v| !truthy(v));
            return BundlePath { explicit_path: path, system_path };
        }
        BundlePath { explicit_path: None, system_path: false }
    }

    /// Every setting as Bundler's `Settings#all` names them (`path.system`).
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = [&self.local, &self.env, &self.global]
            .into_iter()
            .flatten()
            .map(|(k, _)| k["BUNDLE_".len()..].replace("___", "-").replace("__", ".").to_lowercase())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Bundler's `to_bool`.
pub fn truthy(value: &str) -> bool {
    !matches!(value.to_ascii_lowercase().as_str(), "" | "false" | "f" | "no" | "n" | "0")
}

/// Bundler's `to_array`: spaces count as separators too.
pub fn split_list(value: &str) -> Vec<String> {
    value.split([':', ' ']).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Bundler's YAMLSerializer.load, flattened to `(KEY, value)` pairs in file
/// order. Nested keys (`BUNDLE_MIRROR__…` written as a hash) join with `__`;
/// list items join with `:` (only `with`/`without`-style lists use them).
pub fn parse_config(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut list_key: Option<usize> = None;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ") {
            let value = unquote(item);
            match list_key {
                Some(i) if out[i].1.is_empty() => out[i].1 = value.to_string(),
                Some(i) => {
                    out[i].1.push(':');
                    out[i].1.push_str(value);
                }
                None => {}
            }
            continue;
        }
        // `key: value` where the colon is followed by a space or the end.
        let Some(colon) = find_key_colon(trimmed) else { continue };
        let depth = (line.len() - trimmed.len()) / 2;
        let mut key = trimmed[..colon].to_string();
        if key.contains('-') {
            key = key.replace('-', "___");
        }
        if key.contains('.') {
            key = key.replace('.', "__");
        }
        let value = unquote(trimmed[colon + 1..].trim_start_matches(' '));
        stack.truncate(depth);
        let full = if stack.is_empty() { key.clone() } else { format!("{}__{}", stack.join("__"), key) };
        if value.is_empty() {
            // A nested hash or a list follows.
            stack.push(key);
            out.push((full, String::new()));
            list_key = Some(out.len() - 1);
        } else {
            out.push((full, value.to_string()));
            list_key = None;
        }
    }
    out.retain(|(_, v)| !v.is_empty());
    out
}

fn find_key_colon(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len()).find(|&i| b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' '))
}

/// Strips one pair of matching quotes and undoes `inspect`'s escapes.
fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_mangled_like_bundler() {
        assert_eq!(key_for("path"), "BUNDLE_PATH");
        assert_eq!(key_for("path.system"), "BUNDLE_PATH__SYSTEM");
        assert_eq!(key_for("gem.test-framework"), "BUNDLE_GEM__TEST___FRAMEWORK");
    }

    #[test]
    fn parses_bundler_yaml() {
        let text = "---\nBUNDLE_PATH: \"vendor/bundle\"\nBUNDLE_WITHOUT: \"development:test\"\nBUNDLE_JOBS: \"4\"\nBUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/: \"http://m\"\nBUNDLE_LIST:\n- \"a\"\n- \"b\"\n";
        let c = parse_config(text);
        assert_eq!(c[0], ("BUNDLE_PATH".into(), "vendor/bundle".into()));
        assert_eq!(c[1], ("BUNDLE_WITHOUT".into(), "development:test".into()));
        assert!(c.contains(&("BUNDLE_LIST".into(), "a:b".into())));
    }

    #[test]
    fn debug_output_hides_credentials() {
        let env = SettingsEnv {
            bundle_vars: vec![
                ("BUNDLE_GEMS__EXAMPLE__COM".into(), "user:s3cret".into()),
                ("BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/".into(), "https://m:s3cret@mirror.example.com".into()),
                ("BUNDLE_PATH".into(), "vendor/bundle".into()),
            ],
            user_home: None,
        };
        let shown = format!("{env:?} {:?}", Settings { env: env.bundle_vars.clone(), ..Settings::default() });
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("BUNDLE_GEMS__EXAMPLE__COM") && shown.contains("vendor/bundle"), "{shown}");
    }

    #[test]
    fn path_follows_the_first_level_that_speaks() {
        let mut s = Settings::default();
        assert!(s.path().use_system_gems());
        s.env.push(("BUNDLE_DEPLOYMENT".into(), "true".into()));
        assert_eq!(s.path().explicit_path.as_deref(), Some("vendor/bundle"));
        s.local.push(("BUNDLE_PATH__SYSTEM".into(), "true".into()));
        assert_eq!(s.path(), BundlePath { explicit_path: None, system_path: true });
        assert_eq!(split_list("a:b c"), ["a", "b", "c"]);
        assert!(!truthy("No") && truthy("yes") && !truthy(""));
    }
}
