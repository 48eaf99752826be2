//! `FastBundle::Native.settings_files(root, env, user_home)`: the local and
//! global config files, found and read as Bundler's Settings does, for
//! `Bundler.settings[...]` (lib/fastbundle/settings.rb). Only called when
//! someone asks for a setting; the setup path never does.

use std::path::Path;

use fastbundle_core::settings::{Level, Settings, SettingsEnv};
use magnus::{function, prelude::*, Error, RHash, RModule, Ruby};

use crate::guard;
use crate::plan::env_pairs;

fn settings_files(ruby: &Ruby, root: String, env: RHash, user_home: Option<String>) -> Result<RHash, Error> {
    guard(ruby, || {
        let settings_env = SettingsEnv { bundle_vars: env_pairs(env)?, user_home: user_home.map(Into::into) };
        let settings = Settings::load(Path::new(&root), &settings_env);
        let out = ruby.hash_new();
        for (name, level) in [("local", Level::Local), ("global", Level::Global)] {
            let pairs = ruby.hash_new();
            for (k, v) in settings.level(level) {
                pairs.aset(k.as_str(), v.as_str())?;
            }
            out.aset(name, pairs)?;
        }
        let shown = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        out.aset("local_file", shown(&settings.local_file))?;
        out.aset("global_file", shown(&settings.global_file))?;
        Ok(out)
    })
}

pub(crate) fn init(_ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("settings_files", function!(settings_files, 3))?;
    Ok(())
}
