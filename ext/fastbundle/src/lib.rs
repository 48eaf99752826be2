//! The magnus binding of fastbundle-core. Every entry point goes through
//! [`guard`], so a Rust panic surfaces as `FastBundle::InternalError`, never
//! as Ruby's process-ending `fatal`. Error classes are defined in Ruby
//! (lib/fastbundle/errors.rb) and looked up here.

mod boot;
mod exec_facts;
mod iseq;
mod lockfile;
mod plan;
mod settings;

use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use fastbundle_core::redact::redact;
use magnus::{function, prelude::*, value::Lazy, Error, ExceptionClass, RModule, Ruby};

static FASTBUNDLE: Lazy<RModule> = Lazy::new(|ruby| ruby.define_module("FastBundle").expect("module FastBundle"));

/// Looks up `FastBundle::<name>`, an exception class defined in Ruby.
pub(crate) fn error_class(ruby: &Ruby, name: &str) -> ExceptionClass {
    ruby.get_inner(&FASTBUNDLE)
        .const_get(name)
        .unwrap_or_else(|_| ruby.exception_runtime_error())
}

/// Every message raised into Ruby passes here, so no credential in a URL
/// reaches one, whatever built it (src/redact.rs).
pub(crate) fn error(ruby: &Ruby, class: &str, message: String) -> Error {
    Error::new(error_class(ruby, class), redacted(message))
}

/// A message with every URL credential hidden.
pub(crate) fn redacted(message: String) -> String {
    match redact(&message) {
        std::borrow::Cow::Borrowed(_) => message,
        std::borrow::Cow::Owned(clean) => clean,
    }
}

thread_local! {
    /// Where the last panic happened, for InternalError's message.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs a binding body, turning a panic into `FastBundle::InternalError`.
pub(crate) fn guard<T>(ruby: &Ruby, body: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let location = PANIC_LOCATION.with(|l| l.borrow_mut().take()).unwrap_or_default();
            Err(error(
                ruby,
                "InternalError",
                format!(
                    "fastbundle hit an internal error ({}{location}). This is a bug in fastbundle, not in your \
                     Gemfile; please report it. Set FASTBUNDLE_DEBUG=1 for details.",
                    panic_message(&*payload)
                ),
            ))
        }
    }
}

/// A hidden hook for the specs that prove panics become InternalError.
fn panic_for_test(message: String) -> Result<(), Error> {
    let ruby = Ruby::get().expect("called from Ruby");
    guard(&ruby, || panic!("{message}"))
}

/// `Native.sha256(string)`: hex digest, for fingerprints of values that must
/// not be written down (GemfileCache keys records on ENV values this way).
fn sha256(text: magnus::RString) -> String {
    // SAFETY: the bytes are read before Ruby runs again.
    fastbundle_core::digest::sha256_hex(unsafe { text.as_slice() })
}

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    // Keep panics quiet (they are reported as InternalError) unless debugging.
    let debug = std::env::var_os("FASTBUNDLE_DEBUG").is_some_and(|v| v != "0" && !v.is_empty());
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line()));
        if debug {
            // Rust's default hook would print the payload as it is; it may
            // hold a credential (src/redact.rs), so print it redacted.
            let payload = panic_message(info.payload());
            eprintln!("fastbundle: panic{}: {}", location.as_deref().unwrap_or(""), redact(&payload));
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
        PANIC_LOCATION.with(|l| *l.borrow_mut() = location);
    }));

    let fastbundle = ruby.get_inner(&FASTBUNDLE);
    let native = fastbundle.define_module("Native")?;
    native.define_singleton_method("__panic_for_test", function!(panic_for_test, 1))?;
    native.define_singleton_method("sha256", function!(sha256, 1))?;
    lockfile::init(ruby, fastbundle)?;
    plan::init(ruby, native)?;
    boot::init(ruby, native)?;
    iseq::init(ruby, native)?;
    settings::init(ruby, native)?;
    exec_facts::init(ruby, native)?;
    Ok(())
}
