//! `cargo fuzz run lockfile` (see fuzz/README.md): any bytes must give a
//! lockfile or an error, never a panic, and every span must be readable.
#![no_main]

use fastbundle_core::lockfile::Lockfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(lock) = Lockfile::parse_bytes(data) {
        for spec in &lock.specs {
            let _ = lock.full_name(spec);
            for dep in lock.deps_of(spec) {
                let _ = lock.requirements(dep).count();
            }
        }
        for source in &lock.sources {
            for &(k, v) in &source.options {
                let _ = (lock.str(k), lock.str(v));
            }
        }
    } else if let Err(e) = Lockfile::parse_bytes(data) {
        let _ = e.message("Gemfile.lock");
    }
    // The lenient reading a setup uses, and the frozen check on its result.
    if let Ok((lock, skipped)) = Lockfile::parse_bytes_lenient(data) {
        for e in &skipped {
            let _ = e.brief("Gemfile.lock");
        }
        let root = std::path::Path::new("/app");
        let _ = fastbundle_core::frozen::check(&[], &[], &lock, root);
    }
});
