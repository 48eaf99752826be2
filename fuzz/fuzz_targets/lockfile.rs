//! `cargo fuzz run lockfile` (see fuzz/README.md): the checks of
//! `fastbundle_core::fuzzing::lockfile` on any bytes; tests/fuzz_regressions.rs
//! runs them on the seeds and every crash kept in fuzz/regressions/lockfile.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fastbundle_core::fuzzing::lockfile(data));
