//! The reading side of ISeqCache (lib/fastbundle/iseq_cache.rb) across the
//! boundary: fastbundle's own files compiled once, kept sealed under a
//! trusted cache dir, handed to Ruby through the hook bootsnap also uses
//! (`RubyVM::InstructionSequence.load_iseq`). Here rather than in Ruby
//! because that Ruby is compiled from source on every boot (≈ 1.8 M
//! instructions on Ruby 3.3, more than a warm setup's own work at 100 gems).
//!
//! - `Native.require_cached(receiver, dir, lib, writer, paths)`: `require`s
//!   each path (as `receiver` would: Kernel#require, RubyGems' if it is
//!   there) with `load_iseq` answering files under `lib` from `dir`;
//!   returns the paths it had no usable entry for, which Ruby compiled
//!   itself and iseq_cache_writer.rb then stores. Another `load_iseq` hook
//!   (bootsnap's) means plain requires.
//! - `Native.iseq_entry(path, dir)`: `[prefix, entry]`, the names of a
//!   file's entries (any version, this one), or nil if it cannot be stat'ed.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;

use fastbundle_core::sealed;
use magnus::{function, prelude::*, Error, RArray, RClass, RModule, RString, Ruby, Value};

use crate::guard;

/// What the hook needs while `require_cached` runs.
struct Hook {
    dir: String,
    lib: String,
    writer: String,
    missed: Vec<String>,
}

static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

fn hook() -> std::sync::MutexGuard<'static, Option<Hook>> {
    HOOK.lock().unwrap_or_else(|e| e.into_inner())
}

/// `<dir>/<path with / \ : as %>` and that plus `.<size>.<mtime s>.<mtime ns>`.
fn entry_names(path: &str, dir: &str) -> Option<(String, String)> {
    let meta = fs::metadata(path).ok()?;
    let prefix = format!("{dir}/{}", path.replace(['/', '\\', ':'], "%"));
    let entry = format!("{prefix}.{}.{}.{}", meta.size(), meta.mtime(), meta.mtime_nsec());
    Some((prefix, entry))
}

fn iseq_class(ruby: &Ruby) -> Result<RClass, Error> {
    ruby.class_object().const_get::<_, RClass>("RubyVM")?.const_get("InstructionSequence")
}

/// The hook: a compiled file whose seal holds and that loads as this path,
/// else nil (Ruby compiles the file; it is noted as missed).
fn load_iseq(ruby: &Ruby, path: RString) -> Result<Value, Error> {
    let path = path.to_string()?;
    let (dir, wanted) = match hook().as_ref() {
        Some(h) => (h.dir.clone(), path.starts_with(&h.lib) && path != h.writer),
        None => return Ok(ruby.qnil().as_value()),
    };
    if !wanted {
        return Ok(ruby.qnil().as_value());
    }
    let Some((_, entry)) = entry_names(&path, &dir) else {
        return Ok(ruby.qnil().as_value());
    };
    // Only an entry whose checksum holds is loaded: damaged compiled
    // instructions can crash the process instead of raising.
    if let Some(data) = sealed::read(Path::new(&entry)) {
        match iseq_class(ruby)?.funcall::<_, _, Value>("load_from_binary", (ruby.str_from_slice(&data),)) {
            Ok(iseq) => {
                if iseq.funcall::<_, _, Option<String>>("path", ())?.as_deref() == Some(path.as_str()) {
                    return Ok(iseq);
                }
            }
            Err(e) if e.is_kind_of(ruby.exception_standard_error()) => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(h) = hook().as_mut() {
        h.missed.push(path);
    }
    Ok(ruby.qnil().as_value())
}

fn native_require_cached(
    ruby: &Ruby,
    receiver: Value,
    dir: String,
    lib: String,
    writer: String,
    paths: RArray,
) -> Result<RArray, Error> {
    guard(ruby, || {
        let iseq = iseq_class(ruby)?;
        // Inside another require_cached (a file it requires requiring more)
        // the outer hook answers; another hook (bootsnap's) is left alone.
        let hooked = !iseq.respond_to("load_iseq", false)? && hook().is_none();
        if hooked {
            *hook() = Some(Hook { dir, lib, writer, missed: Vec::new() });
            iseq.define_singleton_method("load_iseq", function!(load_iseq, 1))?;
        }
        let required = paths.into_iter().try_for_each(|p| receiver.funcall::<_, _, Value>("require", (p,)).map(|_| ()));
        let mut missed = Vec::new();
        if hooked {
            let removed =
                iseq.singleton_class()?.funcall::<_, _, Value>("remove_method", (ruby.to_symbol("load_iseq"),));
            missed = hook().take().map(|h| h.missed).unwrap_or_default();
            removed?;
        }
        required?;
        Ok(ruby.ary_from_iter(missed.iter().map(|p| ruby.str_new(p))))
    })
}

fn native_iseq_entry(ruby: &Ruby, path: String, dir: String) -> Result<Option<RArray>, Error> {
    guard(ruby, || {
        Ok(entry_names(&path, &dir)
            .map(|(prefix, entry)| ruby.ary_from_iter([ruby.str_new(&prefix), ruby.str_new(&entry)])))
    })
}

pub(crate) fn init(_ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("require_cached", function!(native_require_cached, 5))?;
    native.define_singleton_method("iseq_entry", function!(native_iseq_entry, 2))?;
    Ok(())
}
