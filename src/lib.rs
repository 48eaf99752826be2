//! fastbundle-core: the Ruby-free half of fastbundle.
//!
//! Everything here is plain Rust and plain data so that it can be tested with
//! `cargo test` alone, fuzzed, and (later) cached: the magnus binding in
//! `ext/fastbundle` converts one request in and one answer out.

pub mod digest;
pub mod frozen;
#[doc(hidden)]
pub mod fuzzing;
pub mod gem_dirs;
pub mod input_file;
pub mod lockfile;
pub mod manpath;
pub mod parallel;
pub mod plan;
pub mod platform;
pub mod redact;
pub mod settings;
pub mod source;
pub mod version;

pub use lockfile::{Lockfile, LockfileError, LockfileErrorKind, SourceKind, Span};
