//! The plan cache's format and key, on real files in a temp dir.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use fastbundle_core::plan_cache::{self, CachedPlan, CachedSpec, Entry, Extras, Input, Owned};
use fastbundle_core::request::Request;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("fb-plan-cache-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("app")).unwrap();
        fs::create_dir_all(d.join("gems/specifications")).unwrap();
        fs::create_dir_all(d.join("gems/gems")).unwrap();
        fs::write(d.join("app/Gemfile"), "gem \"rack\"\n").unwrap();
        fs::write(d.join("app/Gemfile.lock"), "GEM\n  specs:\n    rack (3.0.0)\n").unwrap();
        Dir(d)
    }

    fn path(&self, rel: &str) -> String {
        self.0.join(rel).to_string_lossy().into_owned()
    }

    fn request(&self) -> Request {
        Request {
            root: self.path("app"),
            gemfile: self.path("app/Gemfile"),
            lockfile: self.path("app/Gemfile.lock"),
            gem_path: vec![self.path("gems")],
            gem_dir: self.path("gems"),
            platform: "x86_64-linux".into(),
            ruby_scope: "ruby/3.1.0".into(),
            extension_api_version: "3.1.0".into(),
            ..Default::default()
        }
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn spec<'a>() -> CachedSpec<'a> {
    CachedSpec {
        name: "rack",
        version: "3.0.0",
        platform: "ruby",
        full_name: "rack-3.0.0",
        full_gem_path: "/g/gems/rack-3.0.0",
        loaded_from: Some("/g/specifications/rack-3.0.0.gemspec"),
        load_paths: vec!["/g/gems/rack-3.0.0/lib"],
        gemspec_dir: None,
        gemspec_glob: None,
        source: "gem",
        default_gem: false,
    }
}

/// An entry for `req` keyed on what is on disk now ("since" far in the
/// future of every file, so nothing is racy).
fn entry_bytes(req: &Request, extras: &Extras) -> Vec<u8> {
    let owned = Owned::for_request(req);
    let later = SystemTime::now() + Duration::from_secs(5);
    let inputs = plan_cache::inputs(req, extras, &owned, later).expect("not racy");
    let entry = Entry {
        facts: plan_cache::facts_digest(req, &extras.facts),
        bundle_env: plan_cache::bundle_env_digest(req),
        env_names: extras.env_names.iter().map(String::as_str).collect(),
        env_digest: plan_cache::env_digest(&extras.env_names),
        inputs,
        plan: CachedPlan { specs: vec![spec()], groups: vec!["default"], bundle_path: "/g", ..Default::default() },
    };
    plan_cache::encode(&entry)
}

fn extras(dir: &Dir) -> Extras {
    Extras { facts: vec!["ruby 3.1.2".into()], files: vec![dir.path("app/Gemfile")], ..Default::default() }
}

#[test]
fn an_entry_round_trips_and_hits_while_nothing_changed() {
    let dir = Dir::new("roundtrip");
    let req = dir.request();
    let bytes = entry_bytes(&req, &extras(&dir));
    let entry = plan_cache::lookup(&bytes, &req, &extras(&dir).facts).expect("hit");
    assert_eq!(entry.plan.specs, vec![spec()]);
    assert!(entry.inputs.iter().any(|i| matches!(i, Input::File { path, .. } if path.ends_with("Gemfile.lock"))));
}

#[test]
fn an_edit_that_keeps_size_and_mtime_is_a_miss() {
    let dir = Dir::new("same-size");
    let req = dir.request();
    let bytes = entry_bytes(&req, &extras(&dir));
    let gemfile = dir.path("app/Gemfile");
    let mtime = fs::metadata(&gemfile).unwrap().modified().unwrap();
    fs::write(&gemfile, "gem \"rake\"\n").unwrap(); // same length
    fs::File::options().write(true).open(&gemfile).unwrap().set_modified(mtime).unwrap();
    let miss = plan_cache::lookup(&bytes, &req, &extras(&dir).facts).unwrap_err();
    assert_eq!(miss.0, "Gemfile changed");
}

#[test]
fn each_part_of_the_key_is_seen() {
    let dir = Dir::new("key");
    let req = dir.request();
    let ex = extras(&dir);
    let bytes = entry_bytes(&req, &ex);

    let mut other = req.clone();
    other.gem_path.push("/elsewhere".into());
    assert!(plan_cache::lookup(&bytes, &other, &ex.facts).unwrap_err().0.contains("environment changed"));
    assert!(plan_cache::lookup(&bytes, &req, &["ruby 3.3.0".to_string()]).is_err());

    let mut other = req.clone();
    other.settings_env.bundle_vars.push(("BUNDLE_WITHOUT".into(), "test".into()));
    assert_eq!(plan_cache::lookup(&bytes, &other, &ex.facts).unwrap_err().0, "BUNDLE_* environment variables changed");

    fs::write(dir.path("gems/specifications/rake-13.0.0.gemspec"), "").unwrap();
    let miss = plan_cache::lookup(&bytes, &req, &ex.facts).unwrap_err();
    assert_eq!(miss.0, format!("{} changed", dir.path("gems/specifications")));
    fs::remove_file(dir.path("gems/specifications/rake-13.0.0.gemspec")).unwrap();

    // An absent settings file that appears.
    let bytes = entry_bytes(&req, &ex);
    fs::create_dir_all(dir.path("app/.bundle")).unwrap();
    fs::write(dir.path("app/.bundle/config"), "---\nBUNDLE_WITHOUT: \"test\"\n").unwrap();
    assert_eq!(plan_cache::lookup(&bytes, &req, &ex.facts).unwrap_err().0, ".bundle/config changed");
}

#[test]
fn env_entries_are_keyed_by_value_and_never_stored() {
    let dir = Dir::new("env");
    let req = dir.request();
    let name = format!("FB_PLAN_CACHE_TEST_{}", std::process::id());
    std::env::set_var(&name, "s3cr3t-value");
    let ex = Extras { env_names: vec![name.clone()], ..extras(&dir) };
    let bytes = entry_bytes(&req, &ex);
    assert!(!bytes.windows(12).any(|w| w == b"s3cr3t-value"));
    assert!(plan_cache::lookup(&bytes, &req, &ex.facts).is_ok());
    std::env::set_var(&name, "other");
    assert!(plan_cache::lookup(&bytes, &req, &ex.facts).unwrap_err().0.contains(&name));
    std::env::remove_var(&name);
    assert!(plan_cache::lookup(&bytes, &req, &ex.facts).is_err());
}

#[test]
fn every_damaged_byte_and_every_truncation_is_a_miss() {
    let dir = Dir::new("damage");
    let req = dir.request();
    let ex = extras(&dir);
    let bytes = entry_bytes(&req, &ex);
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x41;
        assert!(plan_cache::lookup(&bad, &req, &ex.facts).is_err(), "byte {i} flipped was accepted");
        assert!(plan_cache::lookup(&bytes[..i], &req, &ex.facts).is_err(), "truncated to {i} was accepted");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(plan_cache::lookup(&longer, &req, &ex.facts).is_err());
}

#[test]
fn a_change_during_the_boot_keeps_the_entry_from_being_written() {
    let dir = Dir::new("racy");
    let req = dir.request();
    let owned = Owned::for_request(&req);
    let ex = extras(&dir);
    let before = SystemTime::now() - Duration::from_secs(1);
    assert!(plan_cache::inputs(&req, &ex, &owned, before).is_err(), "files written after the boot began");
}

#[test]
fn entries_are_written_atomically_and_read_only_when_ours() {
    let dir = Dir::new("files");
    let cache = fastbundle_core::cache_dir::prepare(&dir.0.join("cache"), "plan").unwrap();
    assert!(plan_cache::read_entry(&cache, "x").is_err());
    plan_cache::write_entry(&cache, "x", b"one").unwrap();
    plan_cache::write_entry(&cache, "x", b"two").unwrap();
    assert_eq!(plan_cache::read_entry(&cache, "x").unwrap(), b"two");
    let names: Vec<_> = fs::read_dir(&cache).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("x")], "no temporary file left");
    std::os::unix::fs::symlink(cache.join("x"), cache.join("y")).unwrap();
    assert!(plan_cache::read_entry(&cache, "y").is_err(), "a symlinked entry is not read");
}
