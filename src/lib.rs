//! fastbundle-core: the Ruby-free half of fastbundle.
//!
//! Everything here is plain Rust and plain data so that it can be tested with
//! `cargo test` alone, fuzzed, and (later) cached: the magnus binding in
//! `ext/fastbundle` converts one request in and one answer out.

pub mod cache_dir;
pub mod digest;
pub mod exec_facts;
pub mod frozen;
#[doc(hidden)]
pub mod fuzzing;
pub mod gem_dirs;
pub mod input_file;
pub mod lockfile;
pub mod manpath;
pub mod materialize;
pub mod parallel;
pub mod paths;
pub mod plan;
pub mod plan_cache;
pub mod plan_error;
pub mod platform;
pub mod redact;
pub mod sealed;
pub mod request;
pub mod settings;
pub mod source;
pub mod spec_set;
pub mod version;

pub use lockfile::{Lockfile, LockfileError, LockfileErrorKind, SourceKind, Span};
