//! Bundler's `Runtime#setup_manpath`: beside every `$LOAD_PATH` entry ending
//! in `lib`, a `man` directory holding `man?/` sections goes on MANPATH.
//! Ruby's `Dir[dir + "/man?/"]` per entry costs ~5 µs even when `dir` does
//! not exist; here a miss is one failed `stat`.

use std::fs;
use std::path::Path;

/// The man dirs for these load-path entries, in order (duplicates kept;
/// the caller joins them as Bundler does).
pub fn man_dirs<S: AsRef<str> + Sync>(load_path: &[S]) -> Vec<String> {
    let found = crate::parallel::map_init(load_path, || (), |_, p| {
        let dir = man_subdir(p.as_ref());
        has_man_section(&dir).then_some(dir)
    });
    found.into_iter().flatten().collect()
}

/// For each load-path entry, the man dir `man_dirs` would report for it.
pub fn man_dir_of_each(load_path: &[&str]) -> std::collections::HashMap<String, Option<String>> {
    let found = crate::parallel::map_init(load_path, || (), |_, p| {
        let dir = man_subdir(p);
        has_man_section(&dir).then_some(dir)
    });
    load_path.iter().map(|p| (*p).to_owned()).zip(found).collect()
}

/// [`man_dirs`], answering from `known` (a [`man_dir_of_each`] result)
/// where it can.
pub fn man_dirs_known<S: AsRef<str> + Sync>(
    load_path: &[S],
    known: &std::collections::HashMap<String, Option<String>>,
) -> Vec<String> {
    let unknown: Vec<&str> = load_path.iter().map(AsRef::as_ref).filter(|p| !known.contains_key(*p)).collect();
    let fresh = man_dir_of_each(&unknown);
    load_path
        .iter()
        .filter_map(|p| known.get(p.as_ref()).or_else(|| fresh.get(p.as_ref())).cloned().flatten())
        .collect()
}

/// `path.sub(/lib$/, "man")`: Ruby's `$` also matches before a final "\n".
fn man_subdir(path: &str) -> String {
    let (body, newline) = match path.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (path, ""),
    };
    match body.strip_suffix("lib") {
        Some(stem) => format!("{stem}man{newline}"),
        None => path.to_owned(),
    }
}

/// `Dir[dir + "/man?/"]` is not empty: an entry named "man" plus one
/// character that is (or links to) a directory.
fn has_man_section(dir: &str) -> bool {
    let Ok(entries) = fs::read_dir(dir) else { return false };
    entries.filter_map(Result::ok).any(|e| {
        let name = e.file_name();
        let Some(name) = name.to_str() else { return false };
        name.strip_prefix("man").is_some_and(|rest| rest.chars().count() == 1)
            && Path::new(dir).join(&name).is_dir()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("fastbundle-manpath-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn lib_becomes_man_only_at_the_end() {
        assert_eq!(man_subdir("/g/a-1/lib"), "/g/a-1/man");
        assert_eq!(man_subdir("/g/lib/a-1/ext"), "/g/lib/a-1/ext");
        assert_eq!(man_subdir("/g/a-1/mylib"), "/g/a-1/myman");
        assert_eq!(man_subdir("/g/a-1/lib\n"), "/g/a-1/man\n");
    }

    #[test]
    fn needs_a_man_section_directory() {
        let root = tmp("sections");
        let with = root.join("with");
        fs::create_dir_all(with.join("man/man1")).unwrap();
        let file_only = root.join("file_only");
        fs::create_dir_all(file_only.join("man")).unwrap();
        fs::write(file_only.join("man/man1"), "").unwrap();
        let long = root.join("long");
        fs::create_dir_all(long.join("man/man10")).unwrap();
        let missing = root.join("missing");
        let paths: Vec<String> = [&with, &file_only, &long, &missing]
            .iter()
            .map(|d| format!("{}/lib", d.display()))
            .collect();
        assert_eq!(man_dirs(&paths), vec![format!("{}/man", with.display())]);
        // An entry not ending in lib is searched itself.
        fs::create_dir_all(root.join("man5")).unwrap();
        assert_eq!(man_dirs(&[root.display().to_string()]), vec![root.display().to_string()]);
        // Known answers are used as given; the rest are looked up.
        let mut known = std::collections::HashMap::new();
        known.insert(paths[3].clone(), Some("/from/prefetch".to_owned()));
        known.insert(paths[0].clone(), None);
        assert_eq!(man_dirs_known(&paths, &known), vec!["/from/prefetch".to_owned()]);
        assert_eq!(man_dirs_known(&paths[1..2], &known), Vec::<String>::new());
        fs::remove_dir_all(&root).unwrap();
    }
}
