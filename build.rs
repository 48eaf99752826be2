//! Stamps the build with a hash of the core's sources, so a plan cache
//! entry written by one build of fastbundle is never read by another
//! (src/plan_cache.rs: build_id).
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut files: Vec<_> = std::fs::read_dir("src").expect("src/").flatten().map(|e| e.path()).collect();
    files.sort();
    let mut h = DefaultHasher::new();
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "rs")) {
        Path::new(f).file_name().hash(&mut h);
        std::fs::read(f).expect("readable source").hash(&mut h);
    }
    println!("cargo:rustc-env=FASTBUNDLE_SOURCE_HASH={:016x}", h.finish());
}
