//! `FastBundle::Native.store_exec_facts(facts)`: what a Ruby `fastbundle
//! exec` parent learned from RubyGems, stored for the native launcher
//! (fastbundle_core::exec_facts). Returns whether it was stored; a cache
//! that cannot be written is no error.

use std::time::{Duration, SystemTime};

use fastbundle_core::cache_dir;
use fastbundle_core::exec_facts::{self, ExecFacts, ExecKey};
use magnus::{function, prelude::*, Error, RHash, RModule, Ruby};

use crate::guard;
use crate::plan::fetch;

fn store_exec_facts(ruby: &Ruby, facts: RHash) -> Result<bool, Error> {
    guard(ruby, || {
        let since: f64 = fetch(facts, "since")?;
        let since = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(since.max(0.0));
        let paths: Vec<String> = fetch(facts, "stamp_paths")?;
        let Some(stamps) = exec_facts::stamps_settled(&paths, since) else { return Ok(false) };
        let env = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        let facts = ExecFacts {
            key: ExecKey { ruby: fetch(facts, "ruby")?, root: fetch(facts, "root")?, env: exec_facts::key_env(env) },
            stamps,
            gem_dir: fetch(facts, "gem_dir")?,
            user_home: fetch(facts, "user_home")?,
            ruby_scope: fetch(facts, "ruby_scope")?,
            rubylibdir: fetch(facts, "rubylibdir")?,
            ruby_shebang: fetch(facts, "ruby_shebang")?,
            bundler_version: fetch(facts, "bundler_version")?,
            bundle_bin_path: fetch(facts, "bundle_bin_path")?,
            sets_bundler_setup: fetch(facts, "sets_bundler_setup")?,
            dot_slash_relative: fetch(facts, "dot_slash_relative")?,
        };
        let Ok(root) = cache_dir::locate_from_env() else { return Ok(false) };
        Ok(exec_facts::write(&root, &facts).is_ok())
    })
}

pub(crate) fn init(_ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("store_exec_facts", function!(store_exec_facts, 1))?;
    Ok(())
}
