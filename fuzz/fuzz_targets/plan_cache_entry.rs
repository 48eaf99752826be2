//! `cargo fuzz run plan_cache_entry` (see fuzz/README.md): the checks of
//! `fastbundle_core::fuzzing::plan_cache_entry` on any bytes; tests/fuzz_regressions.rs
//! runs them on the seeds and every crash kept in fuzz/regressions/plan_cache_entry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fastbundle_core::fuzzing::plan_cache_entry(data));
