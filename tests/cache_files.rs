//! Every byte of real cache files (fuzz/seeds/plan_cache_entry, made by a
//! real boot; fuzz/seeds/sealed: a compiled Gemfile, a recorded
//! Definition, a compiled Ruby file), changed one at a time and cut at
//! every length: always refused before anything in them is used.

use std::fs;
use std::path::Path;

use fastbundle_core::plan_cache::{self, decode, frame, payload};
use fastbundle_core::request::Request;
use fastbundle_core::sealed::{seal, unseal};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(ROOT).join("fuzz/seeds").join(target);
    let mut files: Vec<_> = fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    files.iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read(p).unwrap())).collect()
}

/// The real entry, framed for this build (it was written by the build of
/// the day it was made).
fn real_entry() -> Vec<u8> {
    let (_, bytes) = seeds("plan_cache_entry").into_iter().next().expect("a real entry");
    frame(payload(&bytes))
}

#[test]
fn a_real_plan_entry_damaged_in_any_byte_or_cut_anywhere_is_refused() {
    let good = real_entry();
    let entry = decode(&good).expect("the real entry decodes");
    assert!(!entry.plan.specs.is_empty());
    for i in 0..good.len() {
        for mask in [0x01, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[i] ^= mask;
            assert!(decode(&bad).is_err(), "byte {i} ^ {mask:#x} accepted");
        }
        assert!(decode(&good[..i]).is_err(), "cut to {i} bytes accepted");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(decode(&longer).is_err());
}

#[test]
fn a_plan_entry_of_another_build_is_refused_as_such() {
    let mut other = real_entry();
    other[8] ^= 1; // the build id
    assert_eq!(decode(&other).unwrap_err().0, "the cache entry was written by another fastbundle build");
    let mut magic = real_entry();
    magic[7] = 2; // a later format
    assert!(decode(&magic).unwrap_err().0.contains("not a fastbundle plan entry of this format"));
}

/// Behind a checksum made to hold (what a bug in the writer could leave),
/// every changed payload byte still decodes to plain data or is refused:
/// never a panic, and a decoded entry is looked up without one.
#[test]
fn a_real_payload_changed_in_any_byte_behind_a_valid_checksum_never_panics() {
    let good = real_entry();
    let body = payload(&good).to_vec();
    let req = Request { root: "/nonexistent-fb/app".into(), ..Default::default() };
    let mut decoded = 0;
    for i in 0..body.len() {
        let mut bad = body.clone();
        bad[i] ^= 0x5a;
        let framed = frame(&bad);
        if decode(&framed).is_ok() {
            decoded += 1;
            let _ = plan_cache::lookup(&framed, &req, &[]);
        }
    }
    assert!(decoded < body.len());
}

#[test]
fn another_apps_entry_under_this_apps_name_is_a_miss() {
    let req = Request {
        root: "/srv/other/app".into(),
        gemfile: "/srv/other/app/Gemfile".into(),
        lockfile: "/srv/other/app/Gemfile.lock".into(),
        ..Default::default()
    };
    let miss = plan_cache::lookup(&real_entry(), &req, &[]).unwrap_err();
    assert!(miss.0.contains("environment changed"), "{miss:?}");
}

#[test]
fn real_sealed_files_damaged_in_any_byte_or_cut_anywhere_are_refused() {
    let files = seeds("sealed");
    assert_eq!(files.len(), 3);
    for (name, good) in &files {
        let payload = unseal(good).unwrap_or_else(|| panic!("{name} unseals"));
        assert_eq!(seal(payload), *good);
        for i in 0..good.len() {
            for mask in [0x01, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= mask;
                assert_eq!(unseal(&bad), None, "{name}: byte {i} ^ {mask:#x} accepted");
            }
            assert_eq!(unseal(&good[..i]), None, "{name}: cut to {i} bytes accepted");
        }
        let mut longer = good.clone();
        longer.push(b'\n');
        assert_eq!(unseal(&longer), None, "{name}: a byte appended accepted");
    }
}
