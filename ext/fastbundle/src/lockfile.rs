//! FastBundle::Lockfile and its parts. A parsed lockfile stays in Rust; the
//! Ruby objects are thin handles that build Strings only when asked, so
//! `Lockfile.parse` costs little more than the Rust parse itself.

use std::sync::Arc;

use fastbundle_core::lockfile::{Dep, Lockfile};
use fastbundle_core::redact::redact;
use magnus::{function, method, prelude::*, Error, RArray, RHash, RModule, RString, Ruby, Symbol, Value};

use crate::{error, guard};

#[magnus::wrap(class = "FastBundle::Lockfile", free_immediately, size)]
struct RbLockfile {
    lock: Arc<Lockfile>,
    path: Option<String>,
}

#[magnus::wrap(class = "FastBundle::LockedSpec", free_immediately, size)]
struct RbLockedSpec {
    lock: Arc<Lockfile>,
    index: usize,
}

#[magnus::wrap(class = "FastBundle::Source", free_immediately, size)]
struct RbSource {
    lock: Arc<Lockfile>,
    index: usize,
}

#[magnus::wrap(class = "FastBundle::LockedDependency", free_immediately, size)]
struct RbLockedDependency {
    lock: Arc<Lockfile>,
    index: usize,
}

fn frozen(ruby: &Ruby, s: &str) -> RString {
    let s = ruby.str_new(s);
    s.freeze();
    s
}

fn str_or_nil(ruby: &Ruby, s: Option<&str>) -> Value {
    match s {
        Some(s) => frozen(ruby, s).as_value(),
        None => ruby.qnil().as_value(),
    }
}

/// `[[name, [requirement, …]], …]`
fn deps_array(ruby: &Ruby, lock: &Lockfile, deps: &[Dep]) -> Result<RArray, Error> {
    let out = ruby.ary_new_capa(deps.len());
    for dep in deps {
        let reqs = ruby.ary_new();
        for r in lock.requirements(dep) {
            reqs.push(frozen(ruby, r))?;
        }
        out.push(ruby.ary_new_from_values(&[frozen(ruby, lock.str(dep.name)).as_value(), reqs.as_value()]))?;
    }
    Ok(out)
}

// FastBundle::Lockfile ------------------------------------------------------

fn parse(ruby: &Ruby, text: RString, path: Option<String>) -> Result<RbLockfile, Error> {
    guard(ruby, || {
        // SAFETY: the bytes are copied by the parser before Ruby runs again.
        let parsed = Lockfile::parse_bytes(unsafe { text.as_slice() });
        match parsed {
            Ok(lock) => Ok(RbLockfile { lock: Arc::new(lock), path }),
            Err(e) => {
                let shown = path.as_deref().unwrap_or("Gemfile.lock");
                Err(error(ruby, "LockfileError", e.message(&redact(shown))))
            }
        }
    })
}

impl RbLockfile {
    fn path(&self) -> Option<String> {
        self.path.clone()
    }

    fn specs(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let out = ruby.ary_new_capa(rb_self.lock.specs.len());
        for index in 0..rb_self.lock.specs.len() {
            out.push(RbLockedSpec { lock: rb_self.lock.clone(), index })?;
        }
        Ok(out)
    }

    fn sources(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let out = ruby.ary_new_capa(rb_self.lock.sources.len());
        for index in 0..rb_self.lock.sources.len() {
            out.push(RbSource { lock: rb_self.lock.clone(), index })?;
        }
        Ok(out)
    }

    fn platforms(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let lock = &rb_self.lock;
        let out = ruby.ary_new_capa(lock.platforms.len());
        for &p in &lock.platforms {
            out.push(frozen(ruby, lock.str(p)))?;
        }
        Ok(out)
    }

    fn dependencies(ruby: &Ruby, rb_self: &Self) -> Result<RHash, Error> {
        let lock = &rb_self.lock;
        let out = ruby.hash_new();
        for (index, dep) in lock.dependencies.iter().enumerate() {
            out.aset(frozen(ruby, lock.str(dep.dep.name)), RbLockedDependency { lock: lock.clone(), index })?;
        }
        Ok(out)
    }

    fn checksums(ruby: &Ruby, rb_self: &Self) -> Result<RHash, Error> {
        let lock = &rb_self.lock;
        let out = ruby.hash_new();
        for c in &lock.checksums {
            let name = fastbundle_core::lockfile::full_name(
                lock.str(c.name),
                lock.str(c.version),
                c.platform.map(|p| lock.str(p)),
            );
            out.aset(frozen(ruby, &name), str_or_nil(ruby, c.value.map(|v| lock.str(v))))?;
        }
        Ok(out)
    }

    fn ruby_version(&self) -> Option<String> {
        self.lock.ruby_version.map(|s| self.lock.str(s).to_string())
    }

    fn bundled_with(&self) -> Option<String> {
        self.lock.bundled_with.map(|s| self.lock.str(s).to_string())
    }

    fn inspect(&self) -> String {
        format!(
            "#<FastBundle::Lockfile {} specs={} sources={} platforms={}>",
            redact(self.path.as_deref().unwrap_or("(text)")),
            self.lock.specs.len(),
            self.lock.sources.len(),
            self.lock.platforms.len()
        )
    }
}

// FastBundle::LockedSpec ----------------------------------------------------

impl RbLockedSpec {
    fn spec(&self) -> &fastbundle_core::lockfile::LockedSpec {
        &self.lock.specs[self.index]
    }
    fn name(ruby: &Ruby, rb_self: &Self) -> RString {
        frozen(ruby, rb_self.lock.str(rb_self.spec().name))
    }
    fn version(ruby: &Ruby, rb_self: &Self) -> RString {
        frozen(ruby, rb_self.lock.str(rb_self.spec().version))
    }
    fn platform(ruby: &Ruby, rb_self: &Self) -> RString {
        frozen(ruby, rb_self.lock.platform_str(rb_self.spec().platform))
    }
    fn full_name(ruby: &Ruby, rb_self: &Self) -> RString {
        frozen(ruby, &rb_self.lock.full_name(rb_self.spec()))
    }
    fn line(&self) -> u32 {
        self.spec().line
    }
    fn dependencies(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        deps_array(ruby, &rb_self.lock, rb_self.lock.deps_of(rb_self.spec()))
    }
    fn source(&self) -> RbSource {
        RbSource { lock: self.lock.clone(), index: self.spec().source as usize }
    }
    fn inspect(&self) -> String {
        format!("#<FastBundle::LockedSpec {}>", self.lock.full_name(self.spec()))
    }
}

// FastBundle::Source --------------------------------------------------------

impl RbSource {
    fn source(&self) -> &fastbundle_core::lockfile::Source {
        &self.lock.sources[self.index]
    }
    fn kind(ruby: &Ruby, rb_self: &Self) -> Symbol {
        ruby.to_symbol(rb_self.source().kind.as_str())
    }
    /// The `remote:` values verbatim, credentials included: the one place
    /// fastbundle hands them out, because the caller asked for the text as
    /// written (see lib/fastbundle.rb). `to_s` and `inspect` redact.
    fn remotes(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let out = ruby.ary_new();
        for &r in &rb_self.source().remotes {
            out.push(frozen(ruby, rb_self.lock.str(r)))?;
        }
        Ok(out)
    }
    /// Other `key: value` lines; a repeated key becomes an Array of values.
    fn options(ruby: &Ruby, rb_self: &Self) -> Result<RHash, Error> {
        let lock = &rb_self.lock;
        let out = ruby.hash_new();
        for &(k, v) in &rb_self.source().options {
            let key = frozen(ruby, lock.str(k));
            let value = frozen(ruby, lock.str(v));
            match out.get(key) {
                None => out.aset(key, value)?,
                Some(existing) => match RArray::from_value(existing) {
                    Some(list) => list.push(value)?,
                    None => out.aset(key, ruby.ary_new_from_values(&[existing, value.as_value()]))?,
                },
            }
        }
        Ok(out)
    }
    fn line(&self) -> u32 {
        self.source().line
    }
    fn eq(&self, other: Value) -> bool {
        match <&RbSource>::try_convert(other) {
            Ok(o) => Arc::ptr_eq(&self.lock, &o.lock) && o.index == self.index,
            Err(_) => false,
        }
    }
    fn hash(&self) -> u64 {
        (Arc::as_ptr(&self.lock) as u64) ^ (self.index as u64)
    }
    /// The remotes, credentials redacted.
    fn to_s(&self) -> String {
        let s = self.source();
        let remotes: Vec<String> = s.remotes.iter().map(|&r| redact(self.lock.str(r)).into_owned()).collect();
        remotes.join(", ")
    }
    fn inspect(&self) -> String {
        format!("#<FastBundle::Source {} {}>", self.source().kind.as_str(), self.to_s())
    }
}

// FastBundle::LockedDependency ----------------------------------------------

impl RbLockedDependency {
    fn dep(&self) -> &fastbundle_core::lockfile::LockedDependency {
        &self.lock.dependencies[self.index]
    }
    fn name(ruby: &Ruby, rb_self: &Self) -> RString {
        frozen(ruby, rb_self.lock.str(rb_self.dep().dep.name))
    }
    fn requirements(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let out = ruby.ary_new();
        for r in rb_self.lock.requirements(&rb_self.dep().dep) {
            out.push(frozen(ruby, r))?;
        }
        Ok(out)
    }
    fn pinned(&self) -> bool {
        self.dep().pinned
    }
    fn line(&self) -> u32 {
        self.dep().line
    }
    fn inspect(&self) -> String {
        let reqs: Vec<&str> = self.lock.requirements(&self.dep().dep).collect();
        format!(
            "#<FastBundle::LockedDependency {} ({}){}>",
            self.lock.str(self.dep().dep.name),
            reqs.join(", "),
            if self.pinned() { "!" } else { "" }
        )
    }
}

pub(crate) fn init(ruby: &Ruby, fastbundle: RModule) -> Result<(), Error> {
    let object = ruby.class_object();

    let class = fastbundle.define_class("Lockfile", object)?;
    class.define_singleton_method("__parse", function!(parse, 2))?;
    class.define_method("path", method!(RbLockfile::path, 0))?;
    class.define_method("specs", method!(RbLockfile::specs, 0))?;
    class.define_method("sources", method!(RbLockfile::sources, 0))?;
    class.define_method("platforms", method!(RbLockfile::platforms, 0))?;
    class.define_method("dependencies", method!(RbLockfile::dependencies, 0))?;
    class.define_method("checksums", method!(RbLockfile::checksums, 0))?;
    class.define_method("ruby_version", method!(RbLockfile::ruby_version, 0))?;
    class.define_method("bundled_with", method!(RbLockfile::bundled_with, 0))?;
    class.define_method("inspect", method!(RbLockfile::inspect, 0))?;

    let class = fastbundle.define_class("LockedSpec", object)?;
    class.define_method("name", method!(RbLockedSpec::name, 0))?;
    class.define_method("version", method!(RbLockedSpec::version, 0))?;
    class.define_method("platform", method!(RbLockedSpec::platform, 0))?;
    class.define_method("full_name", method!(RbLockedSpec::full_name, 0))?;
    class.define_method("dependencies", method!(RbLockedSpec::dependencies, 0))?;
    class.define_method("source", method!(RbLockedSpec::source, 0))?;
    class.define_method("line", method!(RbLockedSpec::line, 0))?;
    class.define_method("inspect", method!(RbLockedSpec::inspect, 0))?;
    class.define_method("to_s", method!(RbLockedSpec::full_name, 0))?;

    let class = fastbundle.define_class("Source", object)?;
    class.define_method("type", method!(RbSource::kind, 0))?;
    class.define_method("remotes", method!(RbSource::remotes, 0))?;
    class.define_method("options", method!(RbSource::options, 0))?;
    class.define_method("line", method!(RbSource::line, 0))?;
    class.define_method("==", method!(RbSource::eq, 1))?;
    class.define_method("eql?", method!(RbSource::eq, 1))?;
    class.define_method("hash", method!(RbSource::hash, 0))?;
    class.define_method("to_s", method!(RbSource::to_s, 0))?;
    class.define_method("inspect", method!(RbSource::inspect, 0))?;

    let class = fastbundle.define_class("LockedDependency", object)?;
    class.define_method("name", method!(RbLockedDependency::name, 0))?;
    class.define_method("requirements", method!(RbLockedDependency::requirements, 0))?;
    class.define_method("pinned?", method!(RbLockedDependency::pinned, 0))?;
    class.define_method("line", method!(RbLockedDependency::line, 0))?;
    class.define_method("inspect", method!(RbLockedDependency::inspect, 0))?;
    Ok(())
}
