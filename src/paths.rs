//! Path arithmetic shared by the plan and the source comparisons.

use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::expand_path;
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
}
