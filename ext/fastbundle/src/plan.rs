//! `FastBundle::Native.plan(request)`: the one call a setup makes into Rust.
//! The request is a Hash of plain data built by lib/fastbundle/runtime.rb;
//! the answer is a Hash of plain data (the plan) or a FastBundle error.

use fastbundle_core::plan::{self, GemfileDependency, PlanError, Request};
use fastbundle_core::settings::{Settings, SettingsEnv};
use magnus::{function, prelude::*, Error, IntoValue, RArray, RHash, RModule, Ruby, Value};

use crate::{error, guard};

fn fetch<T: magnus::TryConvert>(hash: RHash, key: &str) -> Result<T, Error> {
    hash.fetch::<_, T>(key)
}

fn request_from(hash: RHash) -> Result<Request, Error> {
    let deps: RArray = fetch(hash, "dependencies")?;
    let mut dependencies = Vec::with_capacity(deps.len());
    for d in deps.into_iter() {
        let d = RArray::from_value(d).ok_or_else(|| Error::new(Ruby::get().expect("ruby").exception_type_error(), "dependency"))?;
        dependencies.push(GemfileDependency {
            name: d.entry(0)?,
            requirements: d.entry(1)?,
            groups: d.entry(2)?,
            should_include: d.entry(3)?,
            pinned: d.entry(4)?,
            force_ruby_platform: d.entry(5)?,
        });
    }
    let env: RHash = fetch(hash, "env")?;
    let mut bundle_vars = Vec::new();
    env.foreach(|k: String, v: String| {
        bundle_vars.push((k, v));
        Ok(magnus::r_hash::ForEach::Continue)
    })?;
    Ok(Request {
        root: fetch(hash, "root")?,
        gemfile: fetch(hash, "gemfile")?,
        lockfile: fetch(hash, "lockfile")?,
        dependencies,
        optional_groups: fetch(hash, "optional_groups")?,
        groups: fetch(hash, "groups")?,
        settings_env: SettingsEnv { bundle_vars, user_home: fetch::<Option<String>>(hash, "user_home")?.map(Into::into) },
        gem_path: fetch(hash, "gem_path")?,
        gem_dir: fetch(hash, "gem_dir")?,
        default_specifications_dir: fetch(hash, "default_specifications_dir")?,
        default_dir: fetch(hash, "default_dir")?,
        platform: fetch(hash, "platform")?,
        ruby_scope: fetch(hash, "ruby_scope")?,
        extension_api_version: fetch(hash, "extension_api_version")?,
    })
}

fn plan_to_ruby(ruby: &Ruby, plan: &plan::Plan) -> Result<RHash, Error> {
    let out = ruby.hash_new();
    let specs = ruby.ary_new_capa(plan.specs.len());
    for s in &plan.specs {
        let row: [Value; 11] = [
            ruby.str_new(&s.name).as_value(),
            ruby.str_new(&s.version).as_value(),
            ruby.str_new(&s.platform).as_value(),
            ruby.str_new(&s.full_name).as_value(),
            ruby.str_new(&s.full_gem_path).as_value(),
            s.loaded_from.as_deref().map_or(ruby.qnil().as_value(), |f| ruby.str_new(f).as_value()),
            ruby.ary_from_iter(s.load_paths.iter().map(|p| ruby.str_new(p))).as_value(),
            s.gemspec_dir.as_deref().map_or(ruby.qnil().as_value(), |f| ruby.str_new(f).as_value()),
            s.gemspec_glob.as_deref().map_or(ruby.qnil().as_value(), |f| ruby.str_new(f).as_value()),
            ruby.to_symbol(s.source.as_str()).as_value(),
            s.default_gem.into_value_with(ruby),
        ];
        specs.push(ruby.ary_new_from_values(&row))?;
    }
    out.aset("specs", specs)?;
    out.aset("groups", ruby.ary_from_iter(plan.groups.iter().map(|g| ruby.to_symbol(g))))?;
    out.aset("bundle_path", plan.bundle_path.as_str())?;
    out.aset("use_system_gems", plan.use_system_gems)?;
    out.aset("frozen", plan.frozen)?;
    Ok(out)
}

fn native_plan(ruby: &Ruby, request: RHash) -> Result<RHash, Error> {
    guard(ruby, || {
        let req = request_from(request)?;
        match plan::plan(&req) {
            Ok(p) => plan_to_ruby(ruby, &p),
            Err(e) => Err(plan_error(ruby, &e)),
        }
    })
}

fn plan_error(ruby: &Ruby, e: &PlanError) -> Error {
    error(ruby, e.class_name(), e.message())
}

/// `FastBundle::Native.bundle_path(request)`: `Bundler.bundle_path` without
/// a setup. Reads root, env, user_home, gem_dir and ruby_scope of a request.
fn native_bundle_path(ruby: &Ruby, request: RHash) -> Result<String, Error> {
    guard(ruby, || {
        let env: RHash = fetch(request, "env")?;
        let mut bundle_vars = Vec::new();
        env.foreach(|k: String, v: String| {
            bundle_vars.push((k, v));
            Ok(magnus::r_hash::ForEach::Continue)
        })?;
        let req = Request {
            root: fetch(request, "root")?,
            settings_env: SettingsEnv {
                bundle_vars,
                user_home: fetch::<Option<String>>(request, "user_home")?.map(Into::into),
            },
            gem_dir: fetch(request, "gem_dir")?,
            ruby_scope: fetch(request, "ruby_scope")?,
            ..Default::default()
        };
        let settings = Settings::load(std::path::Path::new(&req.root), &req.settings_env);
        Ok(plan::bundle_path(&req, &settings).0)
    })
}

pub(crate) fn init(_ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("plan", function!(native_plan, 1))?;
    native.define_singleton_method("bundle_path", function!(native_bundle_path, 1))?;
    Ok(())
}
