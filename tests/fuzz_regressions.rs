//! The fuzz targets' checks (src/fuzzing.rs) on every committed seed and
//! every input a fuzzer ever crashed on (fuzz/regressions/<target>/), plus
//! the real files the suite already holds: each must pass on every
//! `cargo test`. A crash found by `rake test:fuzz` goes into
//! fuzz/regressions/<target>/ with the fix.

use std::fs;
use std::path::{Path, PathBuf};

use fastbundle_core::fuzzing;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            out.push(p);
        }
    }
}

/// Runs `check` on every file of the target's seeds and regressions and of
/// `extra` dirs; returns how many.
fn run(target: &str, extra: &[&str], check: fn(&[u8])) -> usize {
    // Under Miri (about a thousand times slower) the committed inputs only.
    let extra = if cfg!(miri) { &[] } else { extra };
    let mut files = Vec::new();
    for dir in [format!("fuzz/seeds/{target}"), format!("fuzz/regressions/{target}")].iter().map(String::as_str).chain(extra.iter().copied()) {
        files_under(&Path::new(ROOT).join(dir), &mut files);
    }
    for f in &files {
        let data = fs::read(f).unwrap();
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("fuzz check {target} fails on {}", f.display());
        }
    }
    files.len()
}

#[test]
fn lockfile() {
    assert!(run("lockfile", &["spec/fixtures/lockfiles"], fuzzing::lockfile) >= if cfg!(miri) { 3 } else { 15 });
}

#[test]
fn stub_header() {
    assert!(run("stub_header", &["tests/data/gem_dirs"], fuzzing::stub_header) >= if cfg!(miri) { 3 } else { 10 });
}

#[test]
fn settings_file() {
    assert!(run("settings_file", &[], fuzzing::settings_file) >= 1);
}

#[test]
fn version() {
    assert!(run("version", &[], fuzzing::version) >= 3);
}

#[test]
fn platform() {
    assert!(run("platform", &[], fuzzing::platform) >= 1);
}

#[test]
fn redaction() {
    assert!(run("redaction", &[], fuzzing::redaction) >= 1);
}

#[test]
fn plan_cache_entry() {
    assert!(run("plan_cache_entry", &[], fuzzing::plan_cache_entry) >= 1);
}

#[test]
fn sealed() {
    assert!(run("sealed", &[], fuzzing::sealed) >= 3);
}
