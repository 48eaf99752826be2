//! The bodies of the cargo-fuzz targets (fuzz/fuzz_targets/*.rs), here so
//! that `cargo test` runs the same checks over the committed seeds and
//! every crash ever found (tests/fuzz_regressions.rs). Each takes any
//! bytes and panics only when an invariant breaks: no input may panic,
//! index out of bounds, loop, or let a credential through.

use std::path::Path;
use std::sync::OnceLock;

use crate::gem_dirs::{self, ScanRequest};
use crate::lockfile::Lockfile;
use crate::platform::{self, Platform, Rules};
use crate::redact::{self, redact};
use crate::settings::{self, Settings, SettingsEnv};
use crate::source;
use crate::version;

/// Inputs longer than this are cut: the parsers are linear, and a fuzzer
/// learns nothing from megabytes.
const MAX_INPUT: usize = 1 << 16;

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&data[..data.len().min(MAX_INPUT)])
}

/// Every userinfo left in `shown` is one the redaction rule keeps.
fn assert_redacted(shown: &str) {
    assert_eq!(redact(shown), shown, "not redacted: {shown:?}");
}

/// Gemfile.lock: the strict reading (FastBundle::Lockfile), the lenient one
/// a setup uses, and the frozen check on its result.
pub fn lockfile(data: &[u8]) {
    let data = &data[..data.len().min(MAX_INPUT)];
    match Lockfile::parse_bytes(data) {
        Ok(lock) => {
            for spec in &lock.specs {
                let _ = lock.full_name(spec);
                for dep in lock.deps_of(spec) {
                    let _ = lock.requirements(dep).count();
                }
            }
            for source in &lock.sources {
                for &r in &source.remotes {
                    let _ = lock.str(r);
                }
                for &(k, v) in &source.options {
                    let _ = (lock.str(k), lock.str(v));
                }
            }
            for c in &lock.checksums {
                let _ = (lock.str(c.name), lock.str(c.version), c.value.map(|v| lock.str(v)));
            }
        }
        Err(e) => {
            let message = e.message("Gemfile.lock");
            assert!(!message.is_empty());
            assert_redacted(&message);
        }
    }
    if let Ok((lock, skipped)) = Lockfile::parse_bytes_lenient(data) {
        for e in &skipped {
            assert!(e.bundler_skips_line());
            assert_redacted(&e.brief("Gemfile.lock"));
        }
        let root = Path::new("/app");
        for (_, s) in source::locked_sources(&lock, root) {
            assert_redacted(&s.describe());
        }
        let _ = crate::frozen::check(&[], &[], &lock, root);
    }
}

/// A spec file's head: parsed alone, then scanned from a gem dir as a
/// setup reads it. Every indexed spec's require paths stay in its gem dir.
pub fn stub_header(data: &[u8]) {
    let data = &data[..data.len().min(MAX_INPUT)];
    let _ = gem_dirs::parse_stub(data);
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fastbundle-fuzz-stub-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("specifications")).expect("fuzz gem dir");
        std::fs::create_dir_all(dir.join("gems")).expect("fuzz gem dir");
        dir
    });
    std::fs::write(dir.join("specifications/fuzz-1.0.gemspec"), data).expect("write spec file");
    let base = dir.to_string_lossy().into_owned();
    let index = gem_dirs::scan(&ScanRequest {
        gem_dirs: &[&base],
        default_specs: None,
        platform: "x86_64-linux",
        extension_api_version: "3.1.0",
        rules: Rules::RubyGems33,
        only_names: None,
    });
    for spec in &index.specs {
        assert!(!spec.full_name.contains('/'), "{spec:?}");
        let inside = format!("{}/", spec.full_gem_path);
        for p in &spec.require_paths {
            if spec.extension_dir.as_deref() != Some(p.as_str()) && spec.has_stub {
                let normal = source::expand_path(Path::new("/"), p);
                assert!(normal == spec.full_gem_path || normal.starts_with(&inside), "{p:?} leaves {spec:?}");
            }
        }
    }
    for e in &index.errors {
        let _ = e.message();
    }
}

/// A Bundler config file: parsed, read through Settings, shown with `{:?}`
/// without the value of any credential setting.
pub fn settings_file(data: &[u8]) {
    let pairs = settings::parse_config(&text(data));
    let s = Settings::default();
    let _ = (s.path(), s.names());
    let _ = format!("{:?}", SettingsEnv { bundle_vars: pairs.clone(), user_home: None });
    for (k, v) in &pairs {
        let _ = (settings::truthy(v), settings::split_list(v), redact::setting_for_display(k, v));
        // What `{:?}` shows of a credential setting does not depend on its
        // value at all.
        if redact::is_credential_setting(k) {
            let with = |value: &str| {
                format!("{:?}", SettingsEnv { bundle_vars: vec![(k.clone(), value.to_string())], user_home: None })
            };
            assert_eq!(with(v), with(""), "{k} = {v:?}");
        }
    }
}

/// Versions and requirements: RubyGems' grammars and comparisons.
pub fn version(data: &[u8]) {
    let t = text(data);
    let (a, b) = t.split_once('\n').unwrap_or((&t, "1.0"));
    let _ = (version::is_correct(a), version::is_requirement(a));
    assert_eq!(platform::compare_versions(a, a), std::cmp::Ordering::Equal, "{a:?}");
    let ab = platform::compare_versions(a, b);
    assert_eq!(platform::compare_versions(b, a), ab.reverse(), "{a:?} vs {b:?}");
    let reqs: Vec<String> = a.split(',').map(str::to_string).collect();
    assert!(crate::frozen::same_requirements(&reqs, &reqs));
}

/// Platform strings, as in lockfiles and stub headers.
pub fn platform(data: &[u8]) {
    let t = text(data);
    let names: Vec<&str> = t.split('\n').take(8).collect();
    for rules in [Rules::RubyGems33, Rules::RubyGems36] {
        let local = Platform::parse("x86_64-linux-gnu", rules);
        for n in &names {
            let p = Platform::parse(n, rules);
            let _ = (p.to_string(), p.matches(&local, rules), platform::match_spec(&p, &local, rules));
            let _ = (platform::generic(&p, rules), Platform::parse_with_local(n, &local, rules));
        }
        let cands: Vec<(&str, &str)> = names.iter().map(|n| ("1.0", *n)).collect();
        let _ = platform::select_best_variant(&cands, &local, false, rules);
        let _ = platform::lockfile_supports(&names, &local, false, rules);
        let _ = platform::unsupported_platform_message(&names, &local, false, rules);
    }
}

/// URLs and paths: redaction is idempotent and leaves no hidden userinfo;
/// the helpers built on it never panic.
pub fn redaction(data: &[u8]) {
    let t = text(data);
    let once = redact(&t).into_owned();
    assert_eq!(redact(&once), once, "not idempotent: {t:?}");
    let normal = source::normalize_remote(&t);
    assert_redacted(&normal);
    let _ = crate::plan::git_checkout_name(&t, "0123456789abcdef");
    let expanded = source::expand_path(Path::new("/app"), &t);
    assert!(expanded.starts_with('/'), "{expanded:?}");
    assert!(!expanded.split('/').any(|seg| seg == "." || seg == ".."), "{expanded:?}");
    let _ = redact::is_credential_setting(&t);
}

/// A plan cache entry file: refused unless whole and of this build, and,
/// whatever its payload holds, decoded or refused without a panic. The
/// payload is also tried framed for this build (the checksum made to hold),
/// so the fuzzer reaches the postcard decoder: a decoded entry re-encodes
/// to itself and is looked up (its paths stat'ed, its files hashed) without
/// a panic. A changed byte of a framed entry is always refused.
pub fn plan_cache_entry(data: &[u8]) {
    use crate::plan_cache::{decode, encode, frame, lookup, payload};
    let data = &data[..data.len().min(MAX_INPUT)];
    let _ = decode(data);
    for candidate in [data, payload(data)] {
        let framed = frame(candidate);
        if let Ok(entry) = decode(&framed) {
            let again = encode(&entry);
            assert_eq!(decode(&again).as_ref(), Ok(&entry), "an entry that does not round-trip");
            let _ = lookup(&framed, &fuzz_request(), &[]);
        }
        let at = data.len() % framed.len();
        let mut flipped = framed.clone();
        flipped[at] ^= 0x01;
        assert!(decode(&flipped).is_err(), "byte {at} changed, entry accepted");
        assert!(decode(&framed[..at]).is_err(), "cut to {at} bytes, entry accepted");
    }
}

/// A request no real boot makes (paths under a directory that does not exist).
fn fuzz_request() -> crate::request::Request {
    crate::request::Request {
        root: "/nonexistent-fastbundle-fuzz/app".into(),
        gemfile: "/nonexistent-fastbundle-fuzz/app/Gemfile".into(),
        lockfile: "/nonexistent-fastbundle-fuzz/app/Gemfile.lock".into(),
        platform: "x86_64-linux".into(),
        ..Default::default()
    }
}

/// A sealed cache file (compiled Ruby files, compiled Gemfiles, recorded
/// Definitions): its payload is handed out only if whole and undamaged, and
/// sealing is the only way to make one.
pub fn sealed(data: &[u8]) {
    use crate::sealed::{seal, unseal};
    let data = &data[..data.len().min(MAX_INPUT)];
    if let Some(payload) = unseal(data) {
        assert_eq!(seal(payload), data, "a sealed file that sealing would not make");
    }
    let sealed = seal(data);
    assert_eq!(unseal(&sealed), Some(data));
    let at = data.len() % sealed.len();
    let mut flipped = sealed.clone();
    flipped[at] ^= 0x01;
    assert_eq!(unseal(&flipped), None, "byte {at} changed, payload handed out");
    assert_eq!(unseal(&sealed[..at]), None, "cut to {at} bytes, payload handed out");
}
